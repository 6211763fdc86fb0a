package job

// JobState values of CIM_ConcreteJob (DMTF CIM Schema; the value map is
// cim.CIMConcreteJobJobState). Msps_ProvisioningJob reads 3 as PendingBoot
// rather than Starting; no other value differs.
const (
	StateNew          uint64 = 2
	StateStarting     uint64 = 3
	StateRunning      uint64 = 4
	StateSuspended    uint64 = 5
	StateShuttingDown uint64 = 6
	StateCompleted    uint64 = 7
	StateTerminated   uint64 = 8
	StateKilled       uint64 = 9
	StateException    uint64 = 10
	StateService      uint64 = 11
	StateQueryPending uint64 = 12
)

// Terminal reports whether a job in state s has ended: Completed,
// Terminated, Killed or Exception. Every other state, reserved and
// vendor values included, may still change.
func Terminal(s uint64) bool {
	switch s {
	case StateCompleted, StateTerminated, StateKilled, StateException:
		return true
	}
	return false
}
