package executor

// SetRates replaces the per-category token buckets (Config.Rates) while
// the executor runs. A category keeps no tokens from its old bucket: its
// new bucket starts full. Tasks already waiting for a token keep their
// reservation. rates is validated as Config.Validate does.
func (e *Executor) SetRates(rates map[string]Rate) error {
	if err := (Config{Rates: rates}).Validate(); err != nil {
		return err
	}
	lims := newLimiters(rates)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.limiters = lims
	return nil
}

// SetWeights replaces the fair-share weights (Config.Weights) while the
// executor runs. A category's new weight applies from its next arrival at
// a priority level where it has no task waiting.
func (e *Executor) SetWeights(weights map[string]int) error {
	if err := (Config{Weights: weights}).Validate(); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.weights = weights
	return nil
}
