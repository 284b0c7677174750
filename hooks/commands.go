package hooks

import (
	"fmt"
	"strings"

	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"
)

// registerCommands adds Portico's commands beside PocketBase's.
func (p *Portal) registerCommands(app *pocketbase.PocketBase) {
	var name string
	invite := &cobra.Command{
		Use:   "invite EMAIL",
		Short: "Mail a client an invite link to the portal (creating the client with --name if new)",
		Args:  cobra.ExactArgs(1),
		// A mistake gets one line saying what is wrong, not the whole usage.
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			email := strings.ToLower(strings.TrimSpace(args[0]))
			if err := (&emailForm{Email: email}).validate(); err != nil {
				return fmt.Errorf("%q is not an email address", args[0])
			}
			created, err := p.invite(email, name)
			if err != nil {
				return err
			}
			verb := "Invite queued"
			if created {
				verb = "Client created and invite queued"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s for %s; the running server delivers it.\n", verb, email)
			return nil
		},
	}
	invite.Flags().StringVar(&name, "name", "", "the client's name, to create a client who is not in the portal yet")
	app.RootCmd.AddCommand(invite)
}

// invite mails an invite link to the client with email, creating the
// client when name is given and no client has that address.
func (p *Portal) invite(email, name string) (created bool, err error) {
	client, err := p.App.FindAuthRecordByEmail("clients", email)
	if err != nil {
		if name == "" {
			return false, fmt.Errorf("no client has the address %s: add them in the dashboard, or pass --name to create them", email)
		}
		collection, err := p.App.FindCollectionByNameOrId("clients")
		if err != nil {
			return false, err
		}
		client = core.NewRecord(collection)
		client.SetEmail(email)
		client.Set("name", name)
		client.Set("portal_access", true)
		// Creating a client with portal access sends the invite (invites.go).
		return true, p.App.Save(client)
	}

	if !client.GetBool("portal_access") {
		client.Set("portal_access", true)
		if err := p.App.Save(client); err != nil {
			return false, err
		}
	}
	return false, p.mailLink(client, purposeInvite, "", "cli")
}
