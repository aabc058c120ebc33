package observe

import "github.com/prometheus/client_golang/prometheus"

// Register adds collectors of other packages (transport's memory gauges)
// to the metrics /metrics serves.
func (o *Observer) Register(cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := o.reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
