/* Why a BPF program dropped an event; shared with the exporter, which names them. */
#ifndef KE_DROPS_H
#define KE_DROPS_H

enum ke_drop_reason {
  KE_DROP_HIST_MAP_FULL = 0,     /* a new label key did not fit its histogram map */
  KE_DROP_INFLIGHT_MAP_FULL = 1, /* a start time did not fit its in-flight map */
  KE_DROP_COUNTER_MAP_FULL = 2,  /* a new label key did not fit its counter map */
  KE_DROP_REASONS = 3,
};

#endif /* KE_DROPS_H */
