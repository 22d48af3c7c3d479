package notify_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/licgate/licgate/license"
	"github.com/licgate/licgate/license/notify"
)

// The log notifier, with a handler that leaves out the time so the output
// is the same on every run.
func ExampleNewLog() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		},
	}))
	n, err := notify.NewLog(logger)
	if err != nil {
		fmt.Println(err)
		return
	}
	err = n.Notify(context.Background(), license.Message{
		Channel: license.ChannelEmail,
		To:      "jane@example.com",
		Product: license.Product{ID: "editor", Name: "Acme Editor", Major: 2},
		Code:    "042137",
		TTL:     10 * time.Minute,
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// level=INFO msg="authorization code" channel=email to=jane@example.com product=editor code=042137 ttl=10m0s
}

func ExampleCompose() {
	t := notify.Compose(license.Message{
		Name:    "Jane Doe",
		Product: license.Product{ID: "editor", Name: "Acme Editor", Major: 2, Minor: 1},
		Code:    "042137",
		TTL:     10 * time.Minute,
	})
	fmt.Println(t.Subject)
	fmt.Println(t.Short)
	fmt.Print(t.Body)
	// Output:
	// Your activation code for Acme Editor
	// Acme Editor activation code: 042137. It expires in 10 minutes.
	// Hello Jane Doe,
	//
	// Here is your activation code for Acme Editor 2.1:
	//
	// 042137
	//
	// This code expires in 10 minutes. It works once, on one computer.
	//
	// If you did not ask for this code, you can ignore this email.
}

// Wiring the notifiers into a [license.Service]: email through a mail
// relay with STARTTLS and AUTH, SMS through Twilio for customers with a
// phone number.
func ExampleNewSMTP() {
	email, err := notify.NewSMTP(
		"smtp://licgate%40acme.example:app-password@smtp.acme.example:587",
		"Acme Licensing <licenses@acme.example>",
		notify.WithTimeout(20*time.Second),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	sms, err := notify.NewTwilio("https://AC0123456789abcdef:auth-token@api.twilio.com", "+15005550006")
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = []license.Option{license.WithEmailNotifier(email), license.WithSMSNotifier(sms)}
	fmt.Println("configured")
	// Output: configured
}

// Telling configuration mistakes apart with errors.Is.
func ExampleNewSMTP_errorChecking() {
	for _, u := range []string{
		"smtp://mail.example.com:587",
		"smtp://user@mail.example.com", // a user name without a password
		"imap://mail.example.com",
	} {
		_, err := notify.NewSMTP(u, "licenses@acme.example")
		switch {
		case err == nil:
			fmt.Println("ok")
		case errors.Is(err, notify.ErrBadURL):
			fmt.Println("bad URL")
		case errors.Is(err, notify.ErrBadAddress):
			fmt.Println("bad from address")
		default:
			fmt.Println("other error:", err)
		}
	}
	// Output:
	// ok
	// bad URL
	// bad URL
}

// An SMS API's own error code, read with errors.As.
func ExampleAPIError() {
	var err error = &notify.APIError{StatusCode: 400, Code: 21211, Message: "The 'To' number is not a valid phone number."}
	var apiErr *notify.APIError
	if errors.Is(err, notify.ErrAPI) && errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code)
	}
	// Output: 400 21211
}
