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
	"strings"
	"time"
	"unicode/utf8"
)

// maxLineOctets is RFC 5322's limit on a line, CRLF excluded (section 2.1.1).
const maxLineOctets = 998

// Content-Transfer-Encodings of an email body (RFC 2045 section 6, RFC 6152).
const (
	cte7Bit            = "7bit"
	cte8Bit            = "8bit"
	cteQuotedPrintable = "quoted-printable"
)

// bodyEncoding picks how body travels: as it is whenever RFC 5322 allows,
// so that a link (the confirmation's SubscribeURL, the unsubscribe link)
// stays one line that works when copied from the raw message or a client
// that shows it. That is 7bit for ASCII and 8bit for other UTF-8 when the
// receiver accepts it (eightBitOK: the mailbox file, or an SMTP server
// offering 8BITMIME), each only if every line fits maxLineOctets and has
// no NUL or CR. Anything else is quoted-printable.
func bodyEncoding(body string, eightBitOK bool) string {
	ascii := true
	for line := range strings.SplitSeq(body, "\n") {
		if len(line) > maxLineOctets || strings.ContainsAny(line, "\x00\r") {
			return cteQuotedPrintable
		}
		for i := 0; i < len(line); i++ {
			if line[i] >= 0x80 {
				ascii = false
				break
			}
		}
	}
	switch {
	case ascii:
		return cte7Bit
	case eightBitOK && utf8.ValidString(body):
		return cte8Bit
	default:
		return cteQuotedPrintable
	}
}

// buildEmail renders d as an RFC 5322 message with the body encoded as
// bodyEncoding says; eightBitOK tells whether the receiver takes 8bit.
func buildEmail(d *Delivery, now time.Time, eightBitOK bool) []byte {
	// Text lines end in CRLF on the wire (RFC 5322 section 2.3): a CRLF
	// or a bare CR in the message is a line break like LF.
	text := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(d.Body)
	cte := bodyEncoding(text, eightBitOK)
	var b bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	h("From", d.From)
	h("To", d.Endpoint)
	h("Subject", mime.QEncoding.Encode("utf-8", d.Subject))
	h("Date", now.UTC().Format(time.RFC1123Z))
	h("Message-ID", "<"+d.ID+"."+d.MessageID+"@sns.imgflow.localhost>")
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=UTF-8")
	h("Content-Transfer-Encoding", cte)
	h("X-Amz-Sns-Message-Id", d.MessageID)
	h("X-Amz-Sns-Subscription-Arn", d.SubscriptionARN)
	b.WriteString("\r\n")
	body := strings.ReplaceAll(text, "\n", "\r\n")
	if cte == cteQuotedPrintable {
		w := quotedprintable.NewWriter(&b)
		w.Write([]byte(body))
		w.Close()
	} else {
		b.WriteString(body)
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// sendSMTP sends one message over plain SMTP (no AUTH, no STARTTLS: meant
// for a loopback catcher such as mailpit), bounded by timeout. msg renders
// the message once the server has said whether it takes 8bit bodies
// (8BITMIME; net/smtp then sends MAIL FROM with BODY=8BITMIME).
func sendSMTP(ctx context.Context, addr string, timeout time.Duration, from, to string, msg func(eightBitOK bool) []byte) (err error) {
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
	eightBitOK, _ := c.Extension("8BITMIME")
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
	if _, err := w.Write(msg(eightBitOK)); err != nil {
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
