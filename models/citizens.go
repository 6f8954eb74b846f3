package models

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// CitizenByExternalID returns the citizen row of a platform identity, or ErrNotFound.
func (s *Store) CitizenByExternalID(ctx context.Context, platform, externalID string) (*Citizen, error) {
	var c Citizen
	err := s.db.WithContext(ctx).Where("platform = ? AND external_id = ?", platform, externalID).First(&c).Error
	if err != nil {
		return nil, fmt.Errorf("store: citizen %s: %w", platform, notFound(err))
	}
	return &c, nil
}

// SetCitizenInactive marks a platform identity as gone (unsubscribed, blocked the bot) or back.
// An identity without a row has never written, so there is nothing to mark: that is not an error.
func (s *Store) SetCitizenInactive(ctx context.Context, platform, externalID string, inactive bool) error {
	err := s.change(ctx, func(tx *gorm.DB) error {
		return tx.Model(&Citizen{}).Where("platform = ? AND external_id = ?", platform, externalID).
			Update("inactive", inactive).Error
	}, s.citizens)
	if err != nil {
		return fmt.Errorf("store: set citizen %s inactive=%t: %w", platform, inactive, err)
	}
	return nil
}
