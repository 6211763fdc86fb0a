package job_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/cimjob/cimjob/cim"
	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/wsman"
)

// printJobErrors prints why the Hyper-V job id failed, asking the host at
// url ("http://hv01.corp.example:5985/wsman") as user.
func printJobErrors(ctx context.Context, url, user, password, id string) error {
	// NTLM over HTTP, every message sealed: what a Windows host accepts as
	// installed. wsman.KerberosAuth, wsman.BasicAuth and
	// wsman.CertificateAuth plug in the same way. The other settings
	// (reply cap, retries, timeouts) default to what the cimjob CLI uses.
	client, err := wsman.NewClient(wsman.Config{
		URL:  url,
		Auth: wsman.NTLMAuth{Username: user, Password: password},
	})
	if err != nil {
		return err
	}
	defer client.Close() // NTLM and Kerberos keep authenticated connections

	res, err := job.GetErrors(ctx, client, job.Ref{Profile: job.HyperV(), InstanceID: id}, job.Options{})
	if errors.Is(err, wsman.ErrNotFound) {
		fmt.Println("no such job: Hyper-V removes a finished job after 5 minutes")
		return nil
	}
	if err != nil {
		// No answer: *wsman.Fault, *wsman.AuthError, *wsman.TransportError, ...
		return err
	}
	for _, e := range res.Errors {
		fmt.Println(e.PerceivedSeverity, e.FormattedMessage())
	}
	// The failed job as an error: errors.As finds each *cim.Error in it.
	var first *cim.Error
	if errors.As(res.Err(), &first) {
		fmt.Println("first error:", first.MessageID)
	}
	return nil
}
