package audit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"
)

// Actions of the system, beside the changes its commands make.
const (
	ActionCommand = "command"
	ActionJob     = "job"
)

// unrecordedCommands record nothing of their own: serve's requests are
// recorded one by one, the trail's commands write their own entries, and
// migrations build the schema the log lives in.
var unrecordedCommands = []string{"serve", "audit", "migrate", "help", "completion", "version"}

// recordSystem records what is changed outside a request: each command
// run (`portico invite`, `staff add|unlock`, `reminders run`, `retention
// run`, `superuser ...`), with every record it creates, changes or
// deletes, and each scheduled job's run that wrote to the database. The
// actor is the system, named by the command or job.
func (t *Trail) recordSystem() {
	t.app.OnBootstrap().BindFunc(func(e *core.BootstrapEvent) error {
		if err := e.Next(); err != nil {
			return err
		}
		if t.config.Commands != nil {
			t.wrapCommands.Do(func() { t.wrapCommandTree(t.config.Commands) })
		}
		return nil
	})

	collections := append(slices.Sorted(maps.Keys(clientOf)), accessCollections...)
	t.app.OnRecordCreate(collections...).BindFunc(func(e *core.RecordEvent) error {
		return t.recordCommandChange(e, ActionCreate, core.NewRecord(e.Record.Collection()))
	})
	t.app.OnRecordUpdate(collections...).BindFunc(func(e *core.RecordEvent) error {
		return t.recordCommandChange(e, ActionUpdate, e.Record.Original())
	})
	t.app.OnRecordDelete(collections...).BindFunc(func(e *core.RecordEvent) error {
		return t.recordCommandChange(e, ActionDelete, nil)
	})

	t.app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		var err error
		t.wrapJobs.Do(func() {
			for _, job := range t.app.Cron().Jobs() {
				if job.Id() == pruneJob {
					continue // its checkpoint is its entry
				}
				run, id := job.Run, job.Id()
				err = errors.Join(err, t.app.Cron().Add(id, job.Expression(), func() { t.recordJob(id, run) }))
			}
		})
		if err != nil {
			return err
		}
		return e.Next()
	})
}

// runningCommand is the command this process runs, while it runs: a
// command's process serves no requests, so every change it makes is the
// command's.
type runningCommand = atomic.Pointer[string]

// wrapCommandTree makes every runnable command below root record its run.
func (t *Trail) wrapCommandTree(root *cobra.Command) {
	for _, command := range root.Commands() {
		if slices.Contains(unrecordedCommands, command.Name()) {
			continue
		}
		t.wrapCommandTree(command)
		run, runE := command.Run, command.RunE
		if run == nil && runE == nil {
			continue
		}
		command.Run = nil
		command.RunE = func(cmd *cobra.Command, args []string) error {
			name := "portico " + strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
			// A data dir serve never opened has no log yet to record in.
			if err := t.app.RunAllMigrations(); err != nil {
				return fmt.Errorf("preparing the data dir: %w", err)
			}
			t.command.Store(&name)
			defer t.command.Store(nil)
			var printed bytes.Buffer
			cmd.SetOut(io.MultiWriter(cmd.OutOrStdout(), &printed))
			var err error
			if runE != nil {
				err = runE(cmd, args)
			} else {
				run(cmd, args)
			}
			// What it printed, never its arguments: `superuser upsert` takes a password.
			detail := "ok: " + firstLine(printed.String())
			if err != nil {
				detail = "failed: " + err.Error()
			}
			if appendErr := t.append(t.app, Entry{ActorType: ActorSystem, ActorName: name, Action: ActionCommand, Detail: detail}); appendErr != nil {
				return fmt.Errorf("%s: the audit trail could not record it: %w (the command's own result: %v)", name, appendErr, err)
			}
			return err
		}
	}
}

// recordCommandChange records a change a command makes to client data,
// staff or the practice's settings, once it is saved; before is the
// record as it was (nil for a delete, whose fields are not named).
func (t *Trail) recordCommandChange(e *core.RecordEvent, action string, before *core.Record) error {
	name := t.command.Load()
	if name == nil {
		return e.Next()
	}
	var fields []string
	if before != nil {
		fields = changedFields(before, e.Record)
	}
	if err := e.Next(); err != nil {
		return err
	}
	entry := Entry{ActorType: ActorSystem, ActorName: *name, Action: action}.about(e.Record)
	entry.Fields = jsonList(fields)
	return t.append(e.App, entry)
}

// recordJob runs a scheduled job and records its run when the database
// was written meanwhile. SQLite counts the rows its one writing
// connection changed; requests served at the same moment count too, so
// the entry says so rather than claiming them all for the job.
func (t *Trail) recordJob(id string, run func()) {
	before, countErr := t.rowsWritten()
	run()
	after, err := t.rowsWritten()
	if countErr != nil || err != nil || after == before {
		return
	}
	detail := fmt.Sprintf("ran; %d row(s) were written while it ran, by it or by requests at the same time", after-before)
	if after < before {
		detail = "ran; the database was written while it ran"
	}
	entry := Entry{ActorType: ActorSystem, ActorName: "scheduled job " + id, Action: ActionJob, Detail: detail}
	if err := t.append(t.app, entry); err != nil {
		t.app.Logger().Error("audit: recording a scheduled job", "job", id, "error", err)
	}
}

// rowsWritten is SQLite's count of rows changed through the app's one
// writing connection since it opened.
func (t *Trail) rowsWritten() (int64, error) {
	var n int64
	err := t.app.NonconcurrentDB().NewQuery("SELECT total_changes()").Row(&n)
	return n, err
}

func firstLine(text string) string {
	line, _, _ := bufio.NewReader(strings.NewReader(text)).ReadLine()
	return strings.TrimSpace(string(line))
}
