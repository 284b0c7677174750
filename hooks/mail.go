package hooks

import (
	"bytes"
	"html/template"
	"io"
	"strings"
	texttemplate "text/template"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"portico/hooks/outbox"
)

// registerMail runs the outbox worker inside serve and sends PocketBase's
// own mail (staff password resets and the like) through the outbox too,
// instead of its silent sendmail fallback.
func (p *Portal) registerMail() {
	p.App.OnServe().BindFunc(func(e *core.ServeEvent) error {
		p.Outbox.Start()
		return e.Next()
	})
	p.App.OnTerminate().Bind(&hook.Handler[*core.TerminateEvent]{
		Func: func(e *core.TerminateEvent) error {
			p.Outbox.Stop()
			return e.Next()
		},
		Priority: -10000, // after the HTTP server has stopped taking requests
	})

	p.App.OnMailerSend().BindFunc(func(e *core.MailerEvent) error {
		for _, to := range e.Message.To {
			msg := outbox.Message{
				To:        to.Address,
				ToName:    to.Name,
				Kind:      "system",
				Subject:   e.Message.Subject,
				Text:      e.Message.Text,
				HTML:      e.Message.HTML,
				Sensitive: true,
			}
			for name, reader := range e.Message.Attachments {
				content, err := io.ReadAll(reader)
				if err != nil {
					return err
				}
				msg.Attachments = append(msg.Attachments, outbox.Attachment{Name: name, ContentType: "application/octet-stream", Content: content})
			}
			if _, err := p.Outbox.Enqueue(e.App, msg); err != nil {
				return err
			}
		}
		return nil // queued: PocketBase's own mailer must not send it too
	})
}

// Letter is the content of one Portico email. Every message shares one
// layout so that each has a plain-text and an HTML part, the practice's
// name, and nothing about the client's health beyond what it must say.
type Letter struct {
	Greeting    string
	Paragraphs  []string
	ButtonLabel string
	ButtonURL   string
	Code        string   // a sign-in code, shown large
	Details     []string // short lines such as a date and a place
	Footer      string
}

const letterText = `{{.Letter.Greeting}}
{{range .Letter.Paragraphs}}
{{.}}
{{end}}{{range .Letter.Details}}
  {{.}}{{end}}{{if .Letter.ButtonURL}}

{{.Letter.ButtonLabel}}:
{{.Letter.ButtonURL}}{{end}}{{if .Letter.Code}}

Or type this code on the sign-in page: {{.Letter.Code}}{{end}}

{{if .Letter.Footer}}{{.Letter.Footer}}
{{end}}-- 
{{.Practice}}
`

const letterHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{.Practice}}</title></head>
<body style="margin:0;padding:24px;background:#f5f5f2;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#1d2327;">
<div style="max-width:520px;margin:0 auto;background:#fff;border-radius:8px;padding:28px;">
<p style="font-size:14px;color:#555;margin:0 0 20px;">{{.Practice}}</p>
<p style="font-size:17px;">{{.Letter.Greeting}}</p>
{{range .Letter.Paragraphs}}<p style="font-size:16px;line-height:1.5;">{{.}}</p>
{{end}}{{if .Letter.Details}}<ul style="font-size:16px;line-height:1.6;padding-left:20px;">{{range .Letter.Details}}<li>{{.}}</li>{{end}}</ul>
{{end}}{{if .Letter.ButtonURL}}<p style="margin:28px 0;"><a href="{{.Letter.ButtonURL}}" style="background:#1f5f8b;color:#fff;text-decoration:none;padding:14px 22px;border-radius:6px;font-size:17px;display:inline-block;">{{.Letter.ButtonLabel}}</a></p>
<p style="font-size:13px;color:#555;word-break:break-all;">Or copy this address into your browser: {{.Letter.ButtonURL}}</p>
{{end}}{{if .Letter.Code}}<p style="font-size:16px;">Or type this code on the sign-in page:</p>
<p style="font-size:30px;letter-spacing:6px;font-weight:bold;margin:8px 0 24px;">{{.Letter.Code}}</p>
{{end}}{{if .Letter.Footer}}<p style="font-size:13px;color:#555;line-height:1.5;">{{.Letter.Footer}}</p>
{{end}}</div></body></html>
`

var (
	letterTextTemplate = texttemplate.Must(texttemplate.New("text").Parse(letterText))
	letterHTMLTemplate = template.Must(template.New("html").Parse(letterHTML))
)

// Render returns the plain-text and HTML parts of the letter.
func (l Letter) Render(practice string) (text string, html string, err error) {
	data := struct {
		Practice string
		Letter   Letter
	}{practice, l}

	var textBuf, htmlBuf bytes.Buffer
	if err := letterTextTemplate.Execute(&textBuf, data); err != nil {
		return "", "", err
	}
	if err := letterHTMLTemplate.Execute(&htmlBuf, data); err != nil {
		return "", "", err
	}
	return textBuf.String(), htmlBuf.String(), nil
}

// practiceName is the practice's name as the dashboard has it.
func (p *Portal) practiceName() string {
	return p.App.Settings().Meta.AppName
}

// portalURL is an absolute address on the portal, for links in mail.
func (p *Portal) portalURL(path string) string {
	return strings.TrimRight(p.App.Settings().Meta.AppURL, "/") + path
}

// sendLetter queues a letter to a client through the outbox.
func (p *Portal) sendLetter(app core.App, client *core.Record, kind, subject string, letter Letter, msg outbox.Message) (bool, error) {
	msg.To = client.Email()
	msg.ToName = client.GetString("name")
	return p.queueLetter(app, kind, subject, letter, msg)
}

// queueLetter queues a letter to msg.To through the outbox.
func (p *Portal) queueLetter(app core.App, kind, subject string, letter Letter, msg outbox.Message) (bool, error) {
	text, html, err := letter.Render(p.practiceName())
	if err != nil {
		return false, err
	}
	msg.Kind = kind
	msg.Subject = subject
	msg.Text = text
	msg.HTML = html
	return p.Outbox.Enqueue(app, msg)
}
