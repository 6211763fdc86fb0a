// Package cim holds the CIM instance model used by cimjob and the decoders
// that build it from the two encodings Windows uses for CIM_Error:
//
//   - DSP0201 CIM-XML text (an <INSTANCE> element), which Hyper-V returns as
//     the string output of Msvm_ConcreteJob.GetError and GetErrorEx;
//   - DSP0230 WS-CIM elements (one child element per property), which WS-Man
//     uses for embedded-object output parameters such as
//     Msps_ProvisioningJob.GetError and for MSFT_WmiError in fault details.
//
// Both decoders match on namespace URI and local name, never on prefixes,
// bound the size and depth of what they read, and keep every property,
// including ones the CIM_Error schema does not define.
//
// Error turns a decoded instance of CIM_Error or a subclass (Msvm_Error,
// MSFT_WmiError) into typed Go values with every DMTF value map named.
package cim
