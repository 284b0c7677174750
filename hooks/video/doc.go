// Package video holds each telehealth appointment's call on Portico itself.
//
// Browsers send their media to one another (WebRTC, DTLS-SRTP); Portico
// carries only the signalling, over a streamed POST on its own origin, and,
// when no direct path exists, relays the still-encrypted media through the
// TURN server embedded here. Nothing is recorded.
//
// A client enters with the appointment's join token and waits until the
// clinician admits them; the clinician enters with a staff session. Up to
// MaxInCall people are in one call. TURN credentials are made per
// participant on admission and stop working when the participant leaves,
// the call ends or its window closes, so a cancelled appointment or an
// ended window is refused at the relay as well as at signalling.
//
// The package knows no schema: Calls, given by the caller, finds the call a
// join token opens and says whether a staff member may host one.
package video
