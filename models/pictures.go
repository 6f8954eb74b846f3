package models

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	_ "image/jpeg" // staff photos come as JPEG
	_ "image/png"  // posters are PNG
	"net/http"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// MaxPictureBytes bounds a stored picture: a staff photo or a rendered poster. Telegram takes
// photos up to 10 MB and WeChat images up to 10 MB; a poster of a few hundred kilobytes is the
// rule.
const MaxPictureBytes = 8 << 20

// PictureTypes are the image types a picture may have, as http.DetectContentType names them.
var PictureTypes = []string{"image/jpeg", "image/png"}

// Picture is an image kept in the database under the SHA-256 of its bytes: a staff member's
// photo (Staff.PhotoHash) or a rendered poster or chart that a push carries (Push.PictureHash).
// Content addressing stores a poster sent to a thousand subscribers once, and a re-imported
// photo once.
type Picture struct {
	// Hash is the lower-case hex SHA-256 of Data.
	Hash     string `gorm:"primaryKey;size:64"`
	MIMEType string `gorm:"size:40;not null"`
	Width    int    `gorm:"not null"`
	Height   int    `gorm:"not null"`
	Data     []byte `gorm:"not null"`
	// CreatedAt is when the picture was first stored.
	CreatedAt time.Time
}

// PictureHash returns the key a picture of data is stored under.
func PictureHash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// NewPicture checks that data is a JPEG or PNG image of at most MaxPictureBytes and returns it
// as a Picture, its type sniffed from the bytes and its size read from the header.
func NewPicture(data []byte) (*Picture, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("store: picture: empty")
	}
	if len(data) > MaxPictureBytes {
		return nil, fmt.Errorf("store: picture: %d bytes, at most %d", len(data), MaxPictureBytes)
	}
	mime := http.DetectContentType(data)
	ok := false
	for _, t := range PictureTypes {
		ok = ok || mime == t
	}
	if !ok {
		return nil, fmt.Errorf("store: picture: %s is not a JPEG or PNG image", mime)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("store: picture: %w", err)
	}
	return &Picture{Hash: PictureHash(data), MIMEType: mime, Width: cfg.Width, Height: cfg.Height, Data: data}, nil
}

// savePicture stores p inside tx unless a picture with its hash is there already.
func savePicture(tx *gorm.DB, now time.Time, p *Picture) error {
	if p.CreatedAt.IsZero() {
		p.CreatedAt = now.UTC()
	}
	err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "hash"}}, DoNothing: true}).Create(p).Error
	if err != nil {
		return fmt.Errorf("store: save picture %.12s: %w", p.Hash, err)
	}
	return nil
}

// SavePicture checks data (NewPicture), stores it unless it is stored already and returns its
// hash.
func (s *Store) SavePicture(ctx context.Context, now time.Time, data []byte) (string, error) {
	p, err := NewPicture(data)
	if err != nil {
		return "", err
	}
	if err := savePicture(s.db.WithContext(ctx), now, p); err != nil {
		return "", err
	}
	return p.Hash, nil
}

// Picture loads the picture stored under hash; ErrNotFound when there is none.
func (s *Store) Picture(ctx context.Context, hash string) (*Picture, error) {
	var p Picture
	if err := s.db.WithContext(ctx).Where("hash = ?", hash).First(&p).Error; err != nil {
		return nil, fmt.Errorf("store: picture %.12s: %w", hash, notFound(err))
	}
	return &p, nil
}

// PrunePictures deletes the pictures stored before before that neither a staff member's photo
// nor a push still queued refers to: posters of months gone by, photos replaced. It returns how
// many went.
func (s *Store) PrunePictures(ctx context.Context, before time.Time) (int, error) {
	db := s.db.WithContext(ctx)
	res := db.Where("created_at < ?", before.UTC()).
		Where("hash NOT IN (?)", db.Model(&Staff{}).Select("photo_hash").Where("photo_hash <> ''")).
		Where("hash NOT IN (?)", db.Model(&Push{}).Select("picture_hash").Where("picture_hash <> '' AND state = ?", PushQueued)).
		Delete(&Picture{})
	if res.Error != nil {
		return 0, fmt.Errorf("store: prune pictures: %w", res.Error)
	}
	return int(res.RowsAffected), nil
}

// SetStaffPhoto stores data as staffNo's photo (an empty data removes it).
func (s *Store) SetStaffPhoto(ctx context.Context, now time.Time, staffNo string, data []byte) error {
	return s.change(ctx, func(tx *gorm.DB) error {
		hash := ""
		if len(data) > 0 {
			p, err := NewPicture(data)
			if err != nil {
				return err
			}
			if err := savePicture(tx, now, p); err != nil {
				return err
			}
			hash = p.Hash
		}
		res := tx.Model(&Staff{}).Where("staff_no = ?", staffNo).Updates(map[string]any{"photo_hash": hash, "updated_at": now.UTC()})
		if res.Error != nil {
			return fmt.Errorf("store: staff %s photo: %w", staffNo, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("store: staff %s photo: %w", staffNo, ErrNotFound)
		}
		return nil
	}, s.places)
}

// StaffPhoto returns the photo of a staff member, or nil when none was imported.
func (s *Store) StaffPhoto(ctx context.Context, st *Staff) (*Picture, error) {
	if st.PhotoHash == "" {
		return nil, nil
	}
	return s.Picture(ctx, st.PhotoHash)
}
