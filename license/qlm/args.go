package qlm

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on a request's arguments.
const (
	maxArgs     = 64
	maxArgLen   = 1024     // any argument but is_pp
	maxPPLen    = 16 << 10 // is_pp
	maxQueryLen = 32 << 10 // the raw query string
)

// args are a request's arguments: the query string and a form body merged,
// names folded to lower case, the first value of a name winning (query
// before body, as ASP.NET's Request.Params reads them).
type args map[string]string

var errTooLarge = errors.New("request body too large")

// readArgs parses and merges the query string and an urlencoded or
// multipart form body of at most maxBody bytes.
func readArgs(w http.ResponseWriter, r *http.Request, maxBody int64) (args, error) {
	if len(r.URL.RawQuery) > maxQueryLen {
		return nil, fmt.Errorf("query string longer than %d bytes", maxQueryLen)
	}
	a := make(args)
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, errors.New("malformed query string")
	}
	if err := a.merge(q); err != nil {
		return nil, err
	}
	if r.Method != http.MethodPost || r.Body == nil || r.Body == http.NoBody {
		return a, nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var form url.Values
	switch ct {
	case "multipart/form-data":
		if err := r.ParseMultipartForm(maxBody); err != nil {
			return nil, bodyErr(err)
		}
		form = r.MultipartForm.Value
		r.MultipartForm.RemoveAll()
	default:
		// Java's HttpURLConnection posts forms without a Content-Type, and
		// some clients say text/plain: read any other body as a form.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, bodyErr(err)
		}
		if form, err = url.ParseQuery(string(body)); err != nil {
			return nil, errors.New("malformed form body")
		}
	}
	if err := a.merge(form); err != nil {
		return nil, err
	}
	return a, nil
}

func bodyErr(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errTooLarge
	}
	return errors.New("unreadable request body")
}

func (a args) merge(v url.Values) error {
	for name, vals := range v {
		if len(vals) == 0 {
			continue
		}
		k := strings.ToLower(name)
		if _, ok := a[k]; ok {
			continue
		}
		if len(a) >= maxArgs {
			return fmt.Errorf("more than %d arguments", maxArgs)
		}
		val := vals[0]
		limit := maxArgLen
		if k == "is_pp" {
			limit = maxPPLen
		}
		if len(val) > limit || len(name) > 64 {
			return fmt.Errorf("argument %s longer than %d bytes", name, limit)
		}
		if !utf8.ValidString(val) {
			return fmt.Errorf("argument %s is not UTF-8", name)
		}
		a[k] = val
	}
	return nil
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
