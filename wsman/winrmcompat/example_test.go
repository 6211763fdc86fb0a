package winrmcompat_test

import (
	"fmt"
	"log"
	"os"

	"github.com/cimjob/cimjob/wsman"
	"github.com/cimjob/cimjob/wsman/winrmcompat"
	"github.com/masterzen/winrm"
)

// An Endpoint written for masterzen/winrm keeps its host, port and TLS
// settings; the caller adds the authentication.
func ExampleConfig() {
	ep := winrm.NewEndpoint("hv01.corp.example", 5986, true, false, nil, nil, nil, 0)
	cfg, err := winrmcompat.Config(ep)
	if err != nil {
		log.Fatal(err)
	}
	cfg.Auth = wsman.NTLMAuth{Username: `CORP\ops`, Password: os.Getenv("CIMJOB_PASSWORD")}
	fmt.Println(cfg.URL)
	// Output: https://hv01.corp.example:5986/wsman
}
