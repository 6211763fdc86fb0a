package krb

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/jcmturner/gokrb5/v8/krberror"
)

// TestUnreachableKDCIsOneShortLine: gokrb5 lists every KDC address it
// tried, twice; the error keeps the realm and the first cause.
func TestUnreachableKDCIsOneShortLine(t *testing.T) {
	raw := krberror.Krberror{RootCause: krberror.NetworkingError, EText: []string{
		"Networking_Error: AS Exchange Error: failed sending AS_REQ to KDC: failed to communicate with KDC. Attempts made with UDP (error sending to a KDC: error resolving KDC address: lookup kerberos-1.mit.edu on 10.0.0.53:53: no such host; error sending to a KDC: error resolving KDC address: lookup kerberos.mit.edu on 10.0.0.53:53: no such host) and then TCP (error sending to a KDC: error resolving KDC address: lookup kerberos-2.mit.edu on 10.0.0.53:53: no such host)",
	}}
	err := kdcError("login", "ATHENA.MIT.EDU", raw)
	var ex *ExchangeError
	if !errors.As(err, &ex) || !ex.Unreachable || !ex.KDC {
		t.Fatalf("%#v: want an unreachable KDC", err)
	}
	if got, want := err.Error(), "krb: login: no KDC of realm ATHENA.MIT.EDU could be reached (no such host)"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	other := kdcError("login", "R", krberror.Krberror{RootCause: krberror.EncodingError, EText: []string{"x"}})
	if errors.As(other, &ex) && ex.Unreachable {
		t.Error("an encoding error is not an unreachable KDC")
	}
}

func TestNoTicket(t *testing.T) {
	_, err := loadCCache("FILE:" + t.TempDir() + "/none")
	if !errors.Is(err, ErrNoTicket) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want ErrNoTicket wrapping fs.ErrNotExist", err)
	}
	if !strings.HasPrefix(err.Error(), "krb: no Kerberos ticket: ") {
		t.Errorf("err = %q", err)
	}
	if errors.Is(&CredentialsError{Reason: "keytab", Err: fs.ErrNotExist}, ErrNoTicket) {
		t.Error("a missing keytab is not a missing ticket")
	}
}
