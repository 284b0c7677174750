package clients

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"

	"portico/hooks/schema"
	"portico/hooks/web"
)

// Command is `portico invite EMAIL [--name]`.
func (c *Clients) Command() *cobra.Command {
	var name string
	invite := &cobra.Command{
		Use:   "invite EMAIL",
		Short: "Mail a client an invite link to the portal (creating the client with --name if new)",
		Args:  cobra.ExactArgs(1),
		// A mistake gets one line saying what is wrong, not the whole usage.
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			form := &web.EmailForm{Email: args[0]}
			if err := form.Validate(); err != nil {
				return fmt.Errorf("%q is not an email address", args[0])
			}
			// A data dir serve never opened has no tables yet.
			if err := c.app.RunAllMigrations(); err != nil {
				return fmt.Errorf("preparing the data dir: %w", err)
			}
			created, err := c.inviteByEmail(form.Email, name)
			if err != nil {
				return err
			}
			verb := "Invite queued"
			if created {
				verb = "Client created and invite queued"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s for %s; the running server delivers it.\n", verb, form.Email)
			return nil
		},
	}
	invite.Flags().StringVar(&name, "name", "", "the client's name, to create a client who is not in the portal yet")
	return invite
}

// inviteByEmail mails an invite link to the client with email, creating
// the client when name is given and no client has that address.
func (c *Clients) inviteByEmail(email, name string) (created bool, err error) {
	client, err := c.app.FindAuthRecordByEmail(schema.Clients, email)
	if errors.Is(err, sql.ErrNoRows) {
		if name == "" {
			return false, fmt.Errorf("no client has the address %s: add them in the dashboard, or pass --name to create them", email)
		}
		collection, err := c.app.FindCollectionByNameOrId(schema.Clients)
		if err != nil {
			return false, err
		}
		client = core.NewRecord(collection)
		client.SetEmail(email)
		client.Set("name", name)
		client.Set("portal_access", true)
		// Creating a client with portal access sends the invite (Register).
		return true, c.app.Save(client)
	}
	if err != nil {
		return false, fmt.Errorf("looking up %s: %w", email, err)
	}

	if !client.GetBool("portal_access") {
		// Turning access on sends the invite (Register).
		client.Set("portal_access", true)
		return false, c.app.Save(client)
	}
	return false, c.Invite(client, "cli")
}
