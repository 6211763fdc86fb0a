// Package job finds out why a CIM job failed: it reads the job instance,
// calls its GetErrorEx or GetError method over WS-Management and decodes the
// CIM_Error instances that come back, in either of the two shapes Windows
// uses (a CIM-XML string for Hyper-V, an embedded WS-CIM object for MSPS and
// other CIM_ConcreteJob subclasses).
//
// One call does it:
//
//	res, err := job.GetErrors(ctx, client, job.Ref{Profile: job.HyperV(), InstanceID: id}, job.Options{})
//
// err reports anything that kept an answer from arriving (a *wsman.Fault,
// *wsman.AuthError, *wsman.TransportError, a decode error, ...); res says
// what the job reported, and res.Err() turns a failed job into an error
// that wraps its *cim.Error values.
package job
