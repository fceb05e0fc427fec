variable "name" {
  description = "Prefix of the alarm names, e.g. `shipgate-staging`; alarms are named `<name>-<service>-<signal>`."
  type        = string
}

variable "load_balancer_arn_suffix" {
  description = "ARN suffix of the load balancer (the `LoadBalancer` metric dimension)."
  type        = string
}

variable "services" {
  description = "Services to watch, keyed by service name: the ARN suffixes of their target groups (one, or two for blue/green; metrics are summed over both so whichever revision is live is watched)."
  type = map(object({
    target_group_arn_suffixes = list(string)
  }))
}

variable "error_threshold" {
  description = "Target 5xx responses per minute that count as a breach."
  type        = number
  default     = 5
}

variable "latency_threshold_seconds" {
  description = "p99 target response time (seconds) that counts as a breach."
  type        = number
  default     = 2
}

variable "unhealthy_hosts_threshold" {
  description = "Unhealthy targets (summed over the service's target groups) at or above which the alarm breaches."
  type        = number
  default     = 1
}

variable "evaluation_periods" {
  description = "Consecutive one-minute periods that must breach before an alarm fires (and rolls a deployment back)."
  type        = number
  default     = 2
}

variable "alarm_actions" {
  description = "ARNs notified when an alarm fires or recovers, e.g. an SNS topic."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags added to every resource of the module (on top of the provider's default tags)."
  type        = map(string)
  default     = {}
}
