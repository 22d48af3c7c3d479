package qlm

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Limits on a request's arguments. None of them refuses a request that a
// QLM client sends: ASP.NET itself refuses more than maxKeys names in one
// collection, and the lengths are far beyond any argument QLM documents.
const (
	// maxKeys is ASP.NET's default aspnet:MaxHttpCollectionKeys: the
	// query string or the form may hold at most this many distinct names.
	maxKeys     = 1000
	maxArgLen   = 1024     // the value of any is_ argument but is_pp, joined
	maxPPLen    = 16 << 10 // is_pp
	maxQueryLen = 32 << 10 // the raw query string
)

// args are a request's is_ arguments as ASP.NET's Request.Params reads
// them (see [readArgs]), by name folded to lower case. Names that do not
// start with "is_" are not kept: QLM reads no other.
type args map[string]string

var errTooLarge = errors.New("the request body is too large")

// readArgs reads the arguments of the query string and of a form body as
// ASP.NET's System.Web does (HttpValueCollection.FillFromEncodedBytes and
// HttpUtility.UrlDecode, then HttpRequest.Params):
//
//   - the string is split on '&' only, never on ';'; a segment's name and
//     value meet at its first '='; a segment without '=' has no name;
//   - '+' is a space; %XX is a byte and %uXXXX (lower-case u) a UTF-16
//     code unit; a '%' that starts neither is kept as it is ("100%PC");
//     bytes that are not UTF-8, and lone surrogates, become U+FFFD;
//   - names are compared without regard to case (OrdinalIgnoreCase), and
//     the values of a name given more than once are joined with commas,
//     those of the query string before those of the form.
//
// The form is read from a POST body of at most maxBody bytes, as
// multipart/form-data or, whatever else its Content-Type says (Java's
// HttpURLConnection may send none), as application/x-www-form-urlencoded.
// It fails only for what ASP.NET refuses too (more than [maxKeys] names)
// and for licgate's own limits: the query string and body sizes, and the
// length of an is_ argument.
func readArgs(w http.ResponseWriter, r *http.Request, maxBody int64) (args, error) {
	if len(r.URL.RawQuery) > maxQueryLen {
		return nil, fmt.Errorf("the query string is longer than %d bytes", maxQueryLen)
	}
	a := make(args)
	if err := a.fill(r.URL.RawQuery); err != nil {
		return nil, err
	}
	if r.Method == http.MethodPost && r.Body != nil && r.Body != http.NoBody {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		var err error
		if ct == "multipart/form-data" {
			err = a.fillMultipart(r.Body, params["boundary"])
		} else {
			var body []byte
			if body, err = io.ReadAll(r.Body); err == nil {
				err = a.fill(string(body))
			}
		}
		if err != nil {
			return nil, bodyErr(err)
		}
	}
	for k, v := range a {
		limit := maxArgLen
		if k == "is_pp" {
			limit = maxPPLen
		}
		if len(v) > limit {
			return nil, fmt.Errorf("the argument %s is longer than %d bytes", k, limit)
		}
	}
	return a, nil
}

func bodyErr(err error) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return errTooLarge
	case errors.Is(err, errTooManyKeys):
		return err
	}
	return errors.New("the request body could not be read")
}

var errTooManyKeys = fmt.Errorf("more than %d distinct argument names", maxKeys)

// fill adds the arguments of one urlencoded string, one collection in
// ASP.NET's terms.
func (a args) fill(s string) error {
	// Fewer segments than the limit cannot reach it: count only when needed.
	var seen keyCounter
	seen.off = strings.Count(s, "&") < maxKeys
	for len(s) > 0 {
		seg := s
		if i := strings.IndexByte(s, '&'); i >= 0 {
			seg, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		name, value, ok := strings.Cut(seg, "=")
		if !ok {
			// A value without a name: ASP.NET files it under null, where
			// QLM never looks. It still counts as a key.
			if err := seen.addNull(); err != nil {
				return err
			}
			continue
		}
		name = urlDecode(name)
		if err := seen.add(name); err != nil {
			return err
		}
		a.add(name, urlDecode(value))
	}
	return nil
}

// fillMultipart adds the fields of a multipart/form-data body, in their
// order. Files are not form fields (ASP.NET puts them in Request.Files). A
// malformed body ends the form where it breaks, as ASP.NET's lenient parser
// does, rather than failing the request; a body over the size limit fails.
func (a args) fillMultipart(body io.Reader, boundary string) error {
	if boundary == "" {
		return nil
	}
	var seen keyCounter
	mr := multipart.NewReader(body, boundary)
	for {
		p, err := mr.NextRawPart()
		if err != nil {
			return tooLarge(err)
		}
		name := p.FormName()
		if name == "" || p.FileName() != "" {
			continue
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return tooLarge(err)
		}
		if err := seen.add(name); err != nil {
			return err
		}
		a.add(name, toValidUTF8(b))
	}
}

// tooLarge keeps the error of a body over its limit, and drops any other.
func tooLarge(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return nil
}

// keyCounter counts the distinct names of one collection, as ASP.NET does
// before it adds a pair (ThrowIfMaxHttpCollectionKeysExceeded).
type keyCounter struct {
	off  bool // counting is not needed
	n    int
	null bool // the key of values without a name was counted
	seen map[string]struct{}
}

// addNull counts the key of values without a name.
func (c *keyCounter) addNull() error {
	if c.off {
		return nil
	}
	if c.n >= maxKeys {
		return errTooManyKeys
	}
	if !c.null {
		c.null = true
		c.n++
	}
	return nil
}

func (c *keyCounter) add(name string) error {
	if c.off {
		return nil
	}
	key := strings.ToUpper(name) // as OrdinalIgnoreCase compares
	if c.n >= maxKeys {
		return errTooManyKeys
	}
	if c.seen == nil {
		c.seen = make(map[string]struct{})
	}
	if _, ok := c.seen[key]; !ok {
		c.seen[key] = struct{}{}
		c.n++
	}
	return nil
}

// add appends value to the argument name, if it is an is_ argument.
func (a args) add(name, value string) {
	k, ok := argKey(name)
	if !ok {
		return
	}
	if prev, ok := a[k]; ok {
		value = prev + "," + value
	}
	a[k] = value
}

// argKey returns the lower-case key under which an is_ argument is kept,
// or false for a name QLM does not read. Two names are the same argument
// when their upper-case forms are equal; since every QLM name is ASCII,
// only names whose upper-case form is ASCII can be one (so "ıs_pcid",
// whose dotless ı upper-cases to I, is is_pcid, and "is_pcKey" with a
// Kelvin sign is not is_pckey, as in .NET).
func argKey(name string) (string, bool) {
	if !isASCII(name) {
		name = strings.ToUpper(name)
		if !isASCII(name) {
			return "", false
		}
	}
	if len(name) < 3 || !strings.EqualFold(name[:3], "is_") {
		return "", false
	}
	return strings.ToLower(name), true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// urlDecode decodes s as ASP.NET's HttpUtility.UrlDecode(bytes, UTF-8)
// does. It never fails: what it cannot decode it keeps.
func urlDecode(s string) string {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return toValidUTF8String(s)
	}
	var (
		buf   = make([]byte, 0, len(s)) // bytes not yet decoded as UTF-8
		units []uint16                  // the result, once a %uXXXX is met
		wide  bool
	)
	flush := func() {
		for _, r := range toValidUTF8(buf) {
			units = utf16.AppendRune(units, r)
		}
		buf = buf[:0]
	}
	n := len(s)
	for i := 0; i < n; i++ {
		b := s[i]
		switch {
		case b == '+':
			b = ' '
		case b == '%' && i < n-2:
			if s[i+1] == 'u' && i < n-5 {
				h1, h2, h3, h4 := unhex(s[i+2]), unhex(s[i+3]), unhex(s[i+4]), unhex(s[i+5])
				if h1 >= 0 && h2 >= 0 && h3 >= 0 && h4 >= 0 {
					if !wide {
						wide, units = true, make([]uint16, 0, len(s))
					}
					flush()
					units = append(units, uint16(h1<<12|h2<<8|h3<<4|h4))
					i += 5
					continue
				}
			} else if h1, h2 := unhex(s[i+1]), unhex(s[i+2]); h1 >= 0 && h2 >= 0 {
				b = byte(h1<<4 | h2)
				i += 2
			}
		}
		buf = append(buf, b)
	}
	if !wide {
		return toValidUTF8(buf)
	}
	flush()
	// utf16.Decode turns lone surrogates into U+FFFD, as .NET's
	// Utf16StringValidator does.
	return string(utf16.Decode(units))
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}

// toValidUTF8 returns b as a string in which each byte that is not part of
// valid UTF-8 has become U+FFFD.
func toValidUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + 8)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		sb.WriteRune(r) // utf8.RuneError for an invalid byte
		b = b[size:]
	}
	return sb.String()
}

func toValidUTF8String(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return toValidUTF8([]byte(s))
}

// get returns the trimmed value of the first of names present.
func (a args) get(names ...string) string {
	for _, n := range names {
		if v, ok := a[n]; ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// int returns the integer value of name, whether it was present, and an
// error if it was present but not a small non-negative integer.
func (a args) int(names ...string) (int, bool, error) {
	v := a.get(names...)
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 1_000_000 {
		return 0, false, fmt.Errorf("%s must be a number", names[0])
	}
	return n, true, nil
}

// bool returns the boolean value of name, or def if it is absent. It
// accepts true/false, 1/0 and yes/no in any case.
func (a args) bool(name string, def bool) (bool, error) {
	switch strings.ToLower(a.get(name)) {
	case "":
		return def, nil
	case "true", "1", "yes":
		return true, nil
	case "false", "0", "no":
		return false, nil
	}
	return false, fmt.Errorf("%s must be true or false", name)
}
