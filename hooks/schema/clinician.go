package schema

import (
	"strings"

	"github.com/pocketbase/pocketbase/core"
)

// SharedRoom tells whether a clinician's video room is one fixed link,
// the same for every client, without a waiting room where the clinician
// admits each client: a client who comes early would walk into the
// previous client's session. Such a room is refused for telehealth.
func SharedRoom(clinician *core.Record) bool {
	if clinician == nil {
		return false
	}
	room := clinician.GetString("video_room")
	return room != "" && !strings.Contains(room, "{room}") && !clinician.GetBool("waiting_room")
}
