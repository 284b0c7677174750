package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Telehealth sessions are held on Portico itself unless the clinician
// keeps an external room: the room link becomes optional, and its help
// says so.
func init() {
	m.Register(func(app core.App) error {
		return setVideoRoomHelp(app, "Leave empty to hold telehealth sessions on Portico's own video. "+
			"Or an external room: a fixed link, or a template such as https://video.example/{room}, "+
			"where Portico puts a private room name for each appointment in place of {room}.")
	}, func(app core.App) error {
		return setVideoRoomHelp(app, "Needed for telehealth. A fixed room link, or a template such as https://video.example/{room}: "+
			"Portico puts a private room name for each appointment in place of {room}.")
	})
}

func setVideoRoomHelp(app core.App, help string) error {
	clinicians, err := app.FindCollectionByNameOrId("clinicians")
	if err != nil {
		return err
	}
	clinicians.Fields.GetByName("video_room").(*core.TextField).Help = help
	return app.Save(clinicians)
}
