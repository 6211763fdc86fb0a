package krb_test

import (
	"context"
	"fmt"

	"github.com/cimjob/cimjob/internal/krb"
	"github.com/cimjob/cimjob/internal/msgenc"
)

// A client logs in once (here from the credential cache of kinit), then
// makes one security context per connection: the first token goes in
// "Authorization: Negotiate ...", the server's token from
// "WWW-Authenticate: Negotiate ..." completes mutual authentication, and
// every message on that connection is sealed with the context.
func Example() {
	ctx := context.Background()
	client, err := krb.NewClient(ctx, krb.ClientConfig{}) // $KRB5CCNAME, krb5.conf from the usual places
	if err != nil {
		fmt.Println(err)
		return
	}
	init, err := client.NewInitiator(ctx, krb.InitiatorConfig{Host: "hv01.lab.example"}) // SPN HTTP/hv01.lab.example
	if err != nil {
		fmt.Println(err)
		return
	}
	token, _, err := init.Step(nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = token // send it; pass the server's answer to init.Step
	serverToken := []byte{}
	if _, _, err := init.Step(serverToken); err != nil {
		fmt.Println(err)
		return
	}
	body, err := msgenc.Encode(init, init.Protocol(), []byte("<s:Envelope/>"))
	fmt.Println(len(body) > 0, err)
}
