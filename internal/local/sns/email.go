package sns

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/smtp"
	"net/textproto"
	"time"
)

// buildEmail renders d as an RFC 5322 message (quoted-printable body, so
// long lines and UTF-8 survive any SMTP server).
func buildEmail(d *Delivery, now time.Time) []byte {
	var b bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	h("From", d.From)
	h("To", d.Endpoint)
	h("Subject", mime.QEncoding.Encode("utf-8", d.Subject))
	h("Date", now.UTC().Format(time.RFC1123Z))
	h("Message-ID", "<"+d.ID+"."+d.MessageID+"@sns.imgflow.localhost>")
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=UTF-8")
	h("Content-Transfer-Encoding", "quoted-printable")
	h("X-Amz-Sns-Message-Id", d.MessageID)
	h("X-Amz-Sns-Subscription-Arn", d.SubscriptionARN)
	b.WriteString("\r\n")
	w := quotedprintable.NewWriter(&b)
	w.Write(bytes.ReplaceAll([]byte(d.Body), []byte("\n"), []byte("\r\n")))
	w.Close()
	b.WriteString("\r\n")
	return b.Bytes()
}

// sendSMTP sends one message over plain SMTP (no AUTH, no STARTTLS: meant
// for a loopback catcher such as mailpit), bounded by timeout.
func sendSMTP(ctx context.Context, addr string, timeout time.Duration, from, to string, msg []byte) (err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("smtp %s: %w", addr, err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() }) // unblocks a stuck server
	defer stop()
	host, _, _ := net.SplitHostPort(addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp %s: %w", addr, err)
	}
	defer c.Close()
	step := func(what string, err error) error {
		if err != nil {
			return fmt.Errorf("smtp %s: %s: %w", addr, what, err)
		}
		return nil
	}
	if err := step("EHLO", c.Hello("localhost")); err != nil {
		return err
	}
	if err := step("MAIL", c.Mail(from)); err != nil {
		return err
	}
	if err := step("RCPT", c.Rcpt(to)); err != nil {
		return err
	}
	w, err := c.Data()
	if err := step("DATA", err); err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return step("DATA", err)
	}
	if err := step("DATA", w.Close()); err != nil {
		return err
	}
	c.Quit() // the message is accepted; a failed QUIT changes nothing
	return nil
}

// isPermanentSMTP reports a 5xx reply: the server refused for good.
func isPermanentSMTP(err error) bool {
	var te *textproto.Error
	return errors.As(err, &te) && te.Code >= 500
}
