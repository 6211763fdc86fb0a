package job

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"io/fs"
	"testing"

	"github.com/cimjob/cimjob/cim"
	"github.com/cimjob/cimjob/fixtures"
	"github.com/cimjob/cimjob/wsman"
)

// benchReply is the three-error GetErrorEx reply of the export job.
func benchReply(b *testing.B) []byte {
	data, err := fs.ReadFile(fixtures.FS, "responses/hyperv/export-failed/geterrorex.xml")
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkDecodeGetErrorEx is the whole client-side decode of a reply:
// the envelope with etree, then each Msvm_Error's CIM-XML, then CIM_Error.
// Compare with BenchmarkBaselineXMLTokens, a bare encoding/xml pass over
// the same bytes (benchstat, or the ratio of ns/op).
func BenchmarkDecodeGetErrorEx(b *testing.B) {
	data := benchReply(b)
	res := &Result{Ref: Ref{Profile: HyperV()}, Method: MethodGetErrorEx}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		resp, err := wsman.ParseResponse(data, cim.Limits{})
		if err != nil {
			b.Fatal(err)
		}
		res.Errors = res.Errors[:0]
		if err := decodeOutput(context.Background(), res, &wsman.Output{Element: resp.Body}, cim.Limits{}); err != nil {
			b.Fatal(err)
		}
		if len(res.Errors) != 3 {
			b.Fatalf("%d errors", len(res.Errors))
		}
	}
}

// BenchmarkBaselineXMLTokens tokenises the envelope and, like the real
// decode, each embedded CIM-XML string, with encoding/xml and nothing else:
// the floor any XML-based decoder stands on.
func BenchmarkBaselineXMLTokens(b *testing.B) {
	data := benchReply(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var inner [][]byte
		d := xml.NewDecoder(bytes.NewReader(data))
		inErrors := false
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			switch t := tok.(type) {
			case xml.StartElement:
				inErrors = t.Name.Local == "Errors"
			case xml.CharData:
				if inErrors {
					inner = append(inner, bytes.Clone(t))
				}
			case xml.EndElement:
				inErrors = false
			}
		}
		for _, s := range inner {
			d := xml.NewDecoder(bytes.NewReader(s))
			for {
				if _, err := d.Token(); err == io.EOF {
					break
				} else if err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}
