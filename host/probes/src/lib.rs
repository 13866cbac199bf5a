//! Host snapshot probes: systemd, containers, Kubernetes, NVIDIA, PEFT (in progress)
