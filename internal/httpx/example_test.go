package httpx_test

import (
	"errors"
	"fmt"

	"github.com/licgate/licgate/internal/httpx"
)

type activation struct {
	Key        string `json:"key"`
	ComputerID string `json:"computerId"`
}

// A handler words each fault of a body as its own contract does.
func ExampleDecodeJSON() {
	for _, body := range []string{
		`{"key":"A1B2C","computerId":"pc-1"}`,
		`{"Key":"A1B2C"}`,
		`{"key":"a","key":"b"}`,
		`{"key":1}`,
	} {
		var q activation
		err := httpx.DecodeJSON([]byte(body), &q)
		var je *httpx.JSONError
		switch {
		case err == nil:
			fmt.Printf("%+v\n", q)
		case errors.As(err, &je) && je.Fault == httpx.FaultUnknown:
			fmt.Printf("The member %q is not known.\n", httpx.Printable(je.Member))
		case errors.As(err, &je) && je.Fault == httpx.FaultDuplicate:
			fmt.Printf("The member %q appears twice.\n", httpx.Printable(je.Member))
		case errors.As(err, &je) && je.Fault == httpx.FaultMismatch:
			fmt.Printf("The request body does not fit: %s.\n", httpx.DescribeJSON(je.Err))
		}
	}
	// Output:
	// {Key:A1B2C ComputerID:pc-1}
	// The member "Key" is not known.
	// The member "key" appears twice.
	// The request body does not fit: the member "key" has the wrong type.
}

func ExampleBearer() {
	for _, h := range []string{"Bearer abc", "bearer\tabc", "Basic abc"} {
		sp, _ := httpx.Bearer([]string{h}, 1<<10, httpx.SP)
		tab, _ := httpx.Bearer([]string{h}, 1<<10, httpx.SPTab)
		fmt.Printf("%q: %q %q\n", h, sp, tab)
	}
	// Output:
	// "Bearer abc": "abc" "abc"
	// "bearer\tabc": "" "abc"
	// "Basic abc": "" ""
}
