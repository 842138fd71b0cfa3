package sns

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// store keeps state as JSON files under one directory, each written
// atomically: a temp file in the same directory, fsync, rename, fsync of
// the directory. The state is small (topics, subscriptions), so it is one
// file rewritten on every change; deliveries are one file each.
type store struct {
	dir string
}

type stateFile struct {
	Version       int             `json:"version"`
	Topics        []*Topic        `json:"topics"`
	Subscriptions []*Subscription `json:"subscriptions"`
}

const stateVersion = 1

func openStore(dir string) (*store, error) {
	for _, d := range []string{dir, filepath.Join(dir, "deliveries"), filepath.Join(dir, "mailbox")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	return &store{dir: dir}, nil
}

func (s *store) loadState() (*stateFile, error) {
	b, err := os.ReadFile(filepath.Join(s.dir, "state.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return &stateFile{Version: stateVersion}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load state: %w", err)
	}
	var st stateFile
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("load state: %s: %w", filepath.Join(s.dir, "state.json"), err)
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("load state: version %d, want %d", st.Version, stateVersion)
	}
	return &st, nil
}

func (s *store) saveState(st *stateFile) error {
	st.Version = stateVersion
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return writeFileAtomic(filepath.Join(s.dir, "state.json"), b)
}

func (s *store) deliveryPath(id string) string {
	return filepath.Join(s.dir, "deliveries", id+".json")
}

func (s *store) mailboxPath(id string) string {
	return filepath.Join(s.dir, "mailbox", id+".eml")
}

func (s *store) saveDelivery(d *Delivery) error {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return fmt.Errorf("save delivery: %w", err)
	}
	return writeFileAtomic(s.deliveryPath(d.ID), b)
}

func (s *store) saveMail(id string, raw []byte) error {
	return writeFileAtomic(s.mailboxPath(id), raw)
}

func (s *store) removeDelivery(id string) error {
	errs := []error{os.Remove(s.deliveryPath(id))}
	if err := os.Remove(s.mailboxPath(id)); !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (s *store) loadDeliveries() ([]*Delivery, error) {
	dir := filepath.Join(s.dir, "deliveries")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("load deliveries: %w", err)
	}
	var out []*Delivery
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".json") || strings.HasPrefix(name, ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("load deliveries: %w", err)
		}
		var d Delivery
		if err := json.Unmarshal(b, &d); err != nil {
			return nil, fmt.Errorf("load deliveries: %s: %w", name, err)
		}
		out = append(out, &d)
	}
	return out, nil
}

// writeFileAtomic replaces path with data so that a crash leaves either
// the old or the new content, never a torn file.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync() // best effort: makes the rename durable
		d.Close()
	}
	return nil
}
