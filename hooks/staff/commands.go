package staff

import (
	"fmt"

	"github.com/spf13/cobra"

	"portico/hooks/schema"
	"portico/hooks/signin"
	"portico/hooks/web"
)

// Command is `portico staff add|unlock`, so that a new practice can create
// its first owner before anyone can sign in to invite.
func (s *Staff) Command() *cobra.Command {
	command := &cobra.Command{
		Use:   "staff",
		Short: "Invite staff to the workspace at /staff/, or unlock an account",
	}

	form := &inviteForm{}
	add := &cobra.Command{
		Use:   "add EMAIL",
		Short: "Create a staff account (or re-send its invite) and mail a link to set a password",
		Args:  cobra.ExactArgs(1),
		// A mistake gets one line saying what is wrong, not the whole usage.
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			form.Email = args[0]
			if err := form.Validate(); err != nil {
				return fmt.Errorf("%s: %v", args[0], err)
			}
			member, err := s.invite(s.app, form, signin.Requester{Agent: "cli"})
			if err != nil {
				return fmt.Errorf("%s: %w", form.Email, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Invite queued for %s (%s); the running server delivers it.\n", member.Email(), member.GetString("role"))
			return nil
		},
	}
	add.Flags().StringVar(&form.Role, "role", "", "owner, clinician or front_desk")
	add.Flags().StringVar(&form.Name, "name", "", "the person's name (default: the address before the @)")
	add.Flags().StringVar(&form.Clinician, "clinician", "", "for a clinician: the id of their clinicians record")
	_ = add.MarkFlagRequired("role")

	unlockCmd := &cobra.Command{
		Use:          "unlock EMAIL",
		Short:        "Unlock a staff account locked after wrong passwords",
		Args:         cobra.ExactArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			member, err := s.app.FindAuthRecordByEmail(schema.Staff, web.NormalizeEmail(args[0]))
			if err != nil {
				return fmt.Errorf("no staff member has the address %s", args[0])
			}
			if err := unlock(s.app, member); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s can sign in again.\n", member.Email())
			return nil
		},
	}

	command.AddCommand(add, unlockCmd)
	return command
}
