package notify

import (
	"fmt"
	"strings"
	"time"

	"github.com/licgate/licgate/license"
)

// Text is the wording of one authorization-code message, for every channel.
type Text struct {
	// Subject is the email subject line.
	Subject string
	// Body is the plain-text email body; lines end in "\n".
	Body string
	// Short is the one-line SMS text.
	Short string
}

// Compose returns the texts that carry m's code: an email subject and body,
// and a short SMS text. The email greets the customer by name when it is
// known, names the product and its version, puts the code on a line of its
// own, and says how long the code lives and that it works once, on one
// computer. Compose does not validate m; the notifiers do.
func Compose(m license.Message) Text {
	product := m.Product.Name
	if product == "" {
		product = m.Product.ID
	}
	expiry := ""
	if m.TTL > 0 {
		expiry = "expires in " + FormatTTL(m.TTL)
	}

	var b strings.Builder
	if m.Name != "" {
		fmt.Fprintf(&b, "Hello %s,\n\n", m.Name)
	} else {
		b.WriteString("Hello,\n\n")
	}
	fmt.Fprintf(&b, "Here is your activation code for %s %s:\n\n", product, m.Product.Version())
	fmt.Fprintf(&b, "%s\n\n", m.Code)
	if expiry != "" {
		fmt.Fprintf(&b, "This code %s. ", expiry)
	}
	b.WriteString("It works once, on one computer.\n\n")
	b.WriteString("If you did not ask for this code, you can ignore this email.\n")

	short := fmt.Sprintf("%s activation code: %s.", product, m.Code)
	if expiry != "" {
		short += " It " + expiry + "."
	}
	return Text{
		Subject: "Your activation code for " + product,
		Body:    b.String(),
		Short:   short,
	}
}

// FormatTTL spells out a code's lifetime in whole units, rounding down so a
// message never promises more time than the code has: "10 minutes",
// "1 hour", "2 hours and 30 minutes", "45 seconds". A lifetime under one
// second reads "less than a second".
func FormatTTL(d time.Duration) string {
	switch {
	case d < time.Second:
		return "less than a second"
	case d < time.Minute:
		return plural(int64(d/time.Second), "second")
	case d < time.Hour:
		return plural(int64(d/time.Minute), "minute")
	}
	h, m := int64(d/time.Hour), int64(d%time.Hour/time.Minute)
	if m == 0 {
		return plural(h, "hour")
	}
	return plural(h, "hour") + " and " + plural(m, "minute")
}

func plural(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
