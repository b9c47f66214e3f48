// Package falcon implements runbooks.Sensors on CrowdStrike Falcon through
// gofalcon: it finds each host's sensor (by cloud instance ID, then
// hostname), checks the kernel a patch would install against the kernels
// that sensor build supports (Falcon's kernel list plus a pinned override
// matrix), and checks after patching that every sensor is online and fully
// functional.
package falcon
