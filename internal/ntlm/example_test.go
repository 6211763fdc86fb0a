package ntlm_test

import (
	"fmt"

	"github.com/cimjob/cimjob/internal/ntlm"
)

// A whole handshake on one connection, then one sealed message each way.
func Example() {
	client := ntlm.NewClient(ntlm.ClientConfig{User: "alice", Domain: "CORP", Password: "Pa55w.rd"})
	acceptor := ntlm.NewAcceptor(ntlm.AcceptorConfig{NetBIOSDomain: "CORP", NetBIOSComputer: "HV01"})

	negotiate, _ := client.Negotiate()
	challenge, _ := acceptor.Challenge(negotiate)
	authenticate, clientSession, _ := client.Authenticate(challenge)
	serverSession, who, err := acceptor.Accept(authenticate, func(domain, user string) (string, bool) {
		return "Pa55w.rd", user == "alice"
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("authenticated", who.Domain+`\`+who.User)

	sig, sealed, _ := clientSession.Seal([]byte("<s:Envelope/>"))
	plain, _ := serverSession.Unseal(sig, sealed)
	fmt.Println(string(plain))
	// Output:
	// authenticated CORP\alice
	// <s:Envelope/>
}

// A wrong password is an *ntlm.AuthError naming the reason.
func ExampleAcceptor_Accept_wrongPassword() {
	client := ntlm.NewClient(ntlm.ClientConfig{User: "alice", Password: "guess"})
	acceptor := ntlm.NewAcceptor(ntlm.AcceptorConfig{NetBIOSDomain: "CORP"})
	negotiate, _ := client.Negotiate()
	challenge, _ := acceptor.Challenge(negotiate)
	authenticate, _, _ := client.Authenticate(challenge)
	_, _, err := acceptor.Accept(authenticate, func(domain, user string) (string, bool) { return "Pa55w.rd", true })
	fmt.Println(err)
	// Output:
	// ntlm: authentication failed for "alice": wrong password (NTLMv2 response does not verify)
}
