package job

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/cimjob/cimjob/cim"
	"github.com/cimjob/cimjob/fixtures"
	"github.com/cimjob/cimjob/wsman"
)

// exportOutput is the GetErrorEx output of the export job: three Msvm_Error
// strings.
func exportOutput(t *testing.T) *wsman.Output {
	t.Helper()
	data, err := fs.ReadFile(fixtures.FS, "responses/hyperv/export-failed/geterrorex.xml")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := wsman.ParseResponse(data, cim.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return &wsman.Output{Element: resp.Body}
}

// TestDecodeOutputSharesOneBudget: the strings of one reply share the
// limits. With MaxElements just large enough for the largest string
// alone, each string parses on its own, but the reply does not: before,
// every string got the whole budget, so a reply of many strings just under
// the limits cost many times what the limits allow.
func TestDecodeOutputSharesOneBudget(t *testing.T) {
	out := exportOutput(t)
	params := out.Params("Errors")
	if len(params) != 3 {
		t.Fatalf("%d Errors parameters, want 3", len(params))
	}
	// The smallest MaxElements every string fits in on its own.
	fits := func(n int) bool {
		for _, p := range params {
			if _, err := cim.ParseCIMXML([]byte(strings.TrimSpace(p.Text())), cim.Limits{MaxElements: n}); err != nil {
				return false
			}
		}
		return true
	}
	n := 1
	for !fits(n) {
		n++
	}
	res := &Result{Ref: Ref{Profile: HyperV()}, Method: MethodGetErrorEx}
	err := decodeOutput(context.Background(), res, out, cim.Limits{MaxElements: n})
	if !errors.Is(err, cim.ErrTooMany) {
		t.Errorf("three strings with MaxElements %d (enough for one): %v, want ErrTooMany", n, err)
	}
	res = &Result{Ref: Ref{Profile: HyperV()}, Method: MethodGetErrorEx}
	if err := decodeOutput(context.Background(), res, out, cim.Limits{MaxElements: 3 * n}); err != nil || len(res.Errors) != 3 {
		t.Errorf("with room for all three: %d errors, %v", len(res.Errors), err)
	}
}

// TestDecodeOutputStopsWithContext: decoding a reply stops when the call's
// context is done, rather than running on past the deadline.
func TestDecodeOutputStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := &Result{Ref: Ref{Profile: HyperV()}, Method: MethodGetErrorEx}
	if err := decodeOutput(ctx, res, exportOutput(t), cim.Limits{}); !errors.Is(err, context.Canceled) {
		t.Errorf("decode with a cancelled context: %v, want context.Canceled", err)
	}
}
