// Package job finds out why a CIM job failed: it reads the job instance,
// calls its error method over WS-Management and decodes the CIM_Error
// instances that come back.
//
// # Profiles
//
// A Profile says where a family of job classes lives and how it reports
// errors: the namespace and class, the error methods in order of
// preference, and the value maps (cim.ValueMap) that name its return values
// and job states. Three are built in, each a function named after the
// profile's name on the command line:
//
//   - HyperV ("hyperv"): Msvm_ConcreteJob in root/virtualization/v2.
//     GetErrorEx, falling back to GetError on hosts without it; the errors
//     come as CIM-XML strings.
//   - MSPS ("msps"): Msps_ProvisioningJob in root/MSPS. GetError; the error
//     comes as an embedded WS-CIM object.
//   - CIM ("cim"): any other CIM_ConcreteJob subclass, in the namespace and
//     class given. GetError with the DMTF return values; either shape.
//
// LookupProfile finds one by name, with an optional namespace and class
// override (a Hyper-V job subclass such as Msvm_MigrationJob, say).
// ParsePath reads a job as PowerShell shows it (a WMI object path, or a
// bare InstanceID), and ProfileFor picks the profile of its class.
//
// # GetErrors
//
// One call does the whole job:
//
//	res, err := job.GetErrors(ctx, client, job.Ref{Profile: job.HyperV(), InstanceID: id}, job.Options{})
//
// It reads the job's own properties (WS-Transfer Get; Options.SkipJob
// leaves that out), calls the error method that Options.Method picks
// (MethodAuto, the zero value, for the profile's order with fallback;
// MethodGetError or MethodGetErrorEx for only that one; ParseMethod and
// Method.Set read a name from a command line once) and decodes the answer
// in whichever shape it comes.
//
// # Results and errors
//
// err reports anything that kept an answer from arriving or being
// understood: a *NotFoundError when the host has no such job (a finished
// job is removed after a few minutes), a *wsman.Fault, *wsman.AuthError,
// *wsman.TransportError, a decode error, all checkable with errors.As.
//
// A job that failed is not an error of GetErrors: the *Result says what it
// reported. Result.Job holds its Properties (state, type, times), Method
// and ReturnValue what the error method answered, Errors the *cim.Error
// values in order, and Notes what happened on the way (a fallback).
// Result.Err turns a failed job into a *FailedError, which errors.As finds,
// and through which errors.As also finds each *cim.Error. The name says
// the job failed; it is not one of the job's errors, which are cim.Error.
package job
