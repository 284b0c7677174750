package testenv

import (
	"github.com/pocketbase/pocketbase/core"
)

// PrivateNote is what a clinician writes that a client must never see.
const PrivateNote = "Private: working diagnosis F41.1, discuss medication"

// NewClinician adds a clinician with a video room template, as staff would in the dashboard.
func (env *Env) NewClinician() *core.Record {
	env.T.Helper()
	collection, err := env.App.FindCollectionByNameOrId("clinicians")
	if err != nil {
		env.T.Fatal(err)
	}
	clinician := core.NewRecord(collection)
	clinician.Set("name", "Dr. Maya Lin")
	clinician.Set("credentials", "PsyD")
	clinician.Set("email", "maya@harbor.test")
	clinician.Set("video_room", "https://video.example/{room}")
	if err := env.App.Save(clinician); err != nil {
		env.T.Fatalf("adding a clinician: %v", err)
	}
	return clinician
}
