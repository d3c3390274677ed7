package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nexustask/nexus/internal/errkind"
	"github.com/nexustask/nexus/internal/schedule"
	"github.com/nexustask/nexus/internal/store"
	"github.com/nexustask/nexus/internal/tasks"
)

// taskSubmitter is the task service as the scheduler sees it.
type taskSubmitter struct{ svc *tasks.Service }

var _ schedule.Submitter = taskSubmitter{}

// Submit implements schedule.Submitter: the template is a POST /v1/tasks
// body, submitted with the schedule's idempotency key, so a second
// submission of a due time returns the first one's task.
func (a taskSubmitter) Submit(ctx context.Context, template json.RawMessage, key string, _ time.Time) (string, error) {
	spec, err := tasks.DecodeSpec(template)
	if err != nil {
		return "", err
	}
	spec.IdempotencyKey = key
	rec, _, err := a.svc.Submit(ctx, spec)
	return rec.ID, err
}

// Done implements schedule.Submitter. A task no longer kept is done.
func (a taskSubmitter) Done(ctx context.Context, id string) (bool, error) {
	rec, err := a.svc.Get(ctx, id)
	if errors.Is(err, tasks.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return rec.State.Terminal(), nil
}

// Wait implements schedule.Submitter with the task's own notifier
// (Service.Wait): no polling. A task no longer kept is done.
func (a taskSubmitter) Wait(ctx context.Context, id string) error {
	rec, err := a.svc.Wait(ctx, id)
	if errors.Is(err, tasks.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !rec.State.Terminal() {
		// Service.Wait returns the record as it stands when ctx ends.
		if err := ctx.Err(); err != nil {
			return err
		}
		return fmt.Errorf("task %s is %s", id, rec.State)
	}
	return nil
}

// validateTemplate refuses a schedule's task template that is not a valid
// POST /v1/tasks body, or that sets the idempotency key the schedule sets.
func validateTemplate(t json.RawMessage) error {
	spec, err := tasks.DecodeSpec(t)
	if err != nil {
		return err
	}
	if spec.IdempotencyKey != "" {
		return fmt.Errorf("%w: the task template must not set idempotency_key: each run gets schedule/<name>/<due unix>", errkind.ErrInvalidRequest)
	}
	return nil
}

// retryableSubmit reports whether a submission error is transient (full
// queue, rate limit, shutdown, storage), so the due time is submitted
// again, rather than a refusal of the template: the kinds the API answers
// with a 429 or a 5xx.
func retryableSubmit(err error) bool {
	switch errkind.Code(err) {
	case errkind.CodeQueueFull, errkind.CodeRateLimited, errkind.CodeUnavailable,
		errkind.CodeDataDamaged, errkind.CodeInternal:
		return true
	}
	return false
}

// newScheduler returns the schedule manager over db, submitting to svc.
// The caller starts and closes it.
func newScheduler(db *store.DB, svc *tasks.Service, log *slog.Logger) (*schedule.Manager, error) {
	cfg := schedule.DefaultConfig()
	cfg.Retryable, cfg.ValidateTemplate, cfg.Logger = retryableSubmit, validateTemplate, log
	return schedule.New(db, taskSubmitter{svc}, cfg)
}
