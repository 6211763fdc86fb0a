package cim_test

import (
	"fmt"

	"github.com/cimjob/cimjob/cim"
)

// hyperVError is the kind of string Msvm_ConcreteJob.GetError returns.
const hyperVError = `<INSTANCE CLASSNAME="Msvm_Error">
<PROPERTY NAME="Message" TYPE="string"><VALUE>&apos;VM01&apos; failed to start.</VALUE></PROPERTY>
<PROPERTY NAME="MessageID" TYPE="string"><VALUE>3050</VALUE></PROPERTY>
<PROPERTY.ARRAY NAME="MessageArguments" TYPE="string"><VALUE.ARRAY><VALUE>VM01</VALUE></VALUE.ARRAY></PROPERTY.ARRAY>
<PROPERTY NAME="PerceivedSeverity" TYPE="uint16"><VALUE>6</VALUE></PROPERTY>
<PROPERTY NAME="CIMStatusCode" TYPE="uint32"><VALUE>1</VALUE></PROPERTY>
<PROPERTY NAME="ProbableCause" TYPE="uint16"><VALUE>33</VALUE></PROPERTY>
<PROPERTY NAME="ErrorSummaryCode" TYPE="uint32"><VALUE>7</VALUE></PROPERTY>
</INSTANCE>`

func ExampleParseCIMXML() {
	inst, err := cim.ParseCIMXML([]byte(hyperVError), cim.DefaultLimits)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(inst.ClassName)
	for _, p := range inst.Properties {
		values, _ := p.Texts()
		fmt.Printf("%s %s %q\n", p.Name, p.Type, values)
	}
	// Output:
	// Msvm_Error
	// Message string ["'VM01' failed to start."]
	// MessageID string ["3050"]
	// MessageArguments string ["VM01"]
	// PerceivedSeverity uint16 ["6"]
	// CIMStatusCode uint32 ["1"]
	// ProbableCause uint16 ["33"]
	// ErrorSummaryCode uint32 ["7"]
}

func ExampleNewError() {
	inst, err := cim.ParseCIMXML([]byte(hyperVError), cim.Limits{})
	if err != nil {
		fmt.Println(err)
		return
	}
	e, err := cim.NewError(inst)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e)
	fmt.Println("severity:", e.PerceivedSeverity)
	fmt.Println("status:", e.CIMStatusCode)
	fmt.Println("cause:", e.ProbableCause)
	fmt.Println("extra:", e.Extra[0].Name)
	// Output:
	// 'VM01' failed to start. (MessageID 3050)
	// severity: Critical (6)
	// status: CIM_ERR_FAILED (1)
	// cause: Out of Memory (33)
	// extra: ErrorSummaryCode
}

func ExampleParseWSCIMBytes() {
	const msps = `<p:Error xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wmi/root/msps/Msps_ProvisioningJob"
  xmlns:q="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_Error"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="q:CIM_Error_Type">
  <q:Message>Access denied.</q:Message>
  <q:MessageArguments>a</q:MessageArguments><q:MessageArguments>b</q:MessageArguments>
  <q:OwningEntity xsi:nil="true"/>
</p:Error>`
	inst, err := cim.ParseWSCIMBytes([]byte(msps), cim.Limits{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(inst.ClassName)
	for _, p := range inst.Properties {
		fmt.Println(p.Name, "array:", p.Array, "null:", p.Null)
	}
	// Output:
	// CIM_Error
	// Message array: false null: false
	// MessageArguments array: true null: false
	// OwningEntity array: false null: true
}

// ExampleValueMap_Lookup names numbers with a generated value map: an
// entry, a number only a range names, and one nothing names, which keeps
// its number.
func ExampleValueMap_Lookup() {
	for _, v := range []uint64{0, 32769, 4096} {
		e := cim.MsvmConcreteJobGetErrorExReturnValue.Lookup(v)
		fmt.Println(e.String())
	}
	e := cim.CIMConcreteJobJobState.Lookup(40000)
	fmt.Println(e.String())
	// Output:
	// Completed with No Error (0)
	// Access Denied (32769)
	// unlisted (4096)
	// Vendor Reserved (40000)
}

func ExampleParseDatetime() {
	for _, s := range []string{"20041114120523.243424-300", "00000001120032.000000:000", "P0DT0H5M0S"} {
		d, err := cim.ParseDatetime(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(d)
	}
	// Output:
	// 2004-11-14 12:05:23.243424 -05:00
	// 1 day 12:00:32
	// 00:05:00
}
