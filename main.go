// Portico is a self-hosted client portal for small therapy and health
// practices. main wires PocketBase, Portico's migrations and its hooks.
package main

import (
	"log"

	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/cmd"
	"github.com/pocketbase/pocketbase/plugins/migratecmd"

	"portico/hooks"
	_ "portico/pb_migrations"
)

func main() {
	// The environment first: whether data.db is replicated decides how its
	// connections checkpoint (hooks.ReplicatedDSN).
	config, err := hooks.ConfigFromEnv()
	if err != nil {
		log.Fatal(err)
	}
	// Dev mode prints every SQL statement: opt in with --dev, even under go run.
	app := pocketbase.NewWithConfig(hooks.PocketBaseConfig(pocketbase.Config{DefaultDev: false}, config))

	// Portico's schema lives in Go migrations that ship inside the binary;
	// automigrate stays off so dashboard edits never write migration files
	// into a practice's working directory.
	migratecmd.MustRegister(app, app.RootCmd, migratecmd.Config{Dir: "pb_migrations"})
	hooks.Register(app, config)

	// PocketBase's own superuser command; serve is Portico's (hooks/tls.go),
	// so Execute rather than Start, which would add PocketBase's serve too.
	app.RootCmd.AddCommand(cmd.NewSuperuserCommand(app))

	if err := app.Execute(); err != nil {
		log.Fatal(err)
	}
}
