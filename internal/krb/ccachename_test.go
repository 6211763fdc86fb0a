package krb

import "testing"

func TestSplitCCacheName(t *testing.T) {
	for _, tt := range []struct {
		name, typ, residual string
		typed               bool
	}{
		{"/tmp/krb5cc_1000", "", "/tmp/krb5cc_1000", false},
		{"krb5cc", "", "krb5cc", false},
		{"FILE:/tmp/krb5cc_1000", "FILE", "/tmp/krb5cc_1000", true},
		{"file:rel/cc", "file", "rel/cc", true},
		{"DIR:/run/user/1000/krb5cc", "DIR", "/run/user/1000/krb5cc", true},
		{"KEYRING:persistent:1000", "KEYRING", "persistent:1000", true},
		// A colon after a slash is part of a path, not a type's end.
		{"./odd:name", "", "./odd:name", false},
		{":cc", "", "cc", true},
	} {
		typ, residual, typed := SplitCCacheName(tt.name)
		if typ != tt.typ || residual != tt.residual || typed != tt.typed {
			t.Errorf("SplitCCacheName(%q) = %q, %q, %v; want %q, %q, %v", tt.name, typ, residual, typed, tt.typ, tt.residual, tt.typed)
		}
	}
}
