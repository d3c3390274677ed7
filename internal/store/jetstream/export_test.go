package jetstream

// OutStats returns the messages and bytes s has sent to NATS.
func OutStats(s *Store) (msgs, bytes uint64) {
	st := s.nc.Stats()
	return st.OutMsgs, st.OutBytes
}
