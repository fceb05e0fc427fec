variable "name" {
  description = "Name of the load balancer and prefix of its security group and target groups, e.g. `shipgate-staging` (at most 24 characters so target group names fit in 32)."
  type        = string

  validation {
    condition     = length(var.name) <= 24
    error_message = "The name must be at most 24 characters (target group names are limited to 32)."
  }
}

variable "vpc_id" {
  description = "ID of the VPC the load balancer and target groups live in."
  type        = string
}

variable "vpc_cidr_block" {
  description = "CIDR block of the VPC: the load balancer only sends traffic (requests, health checks) inside it."
  type        = string
}

variable "subnet_ids" {
  description = "Public subnet IDs (at least two availability zones) the load balancer is placed in."
  type        = list(string)
}

variable "ingress_cidr_blocks" {
  description = "IPv4 CIDR blocks allowed to reach the production listener(s)."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "certificate_arn" {
  description = "ACM certificate ARN. When set, the production listener is HTTPS on 443 and port 80 redirects to it; when null, production is plain HTTP on port 80."
  type        = string
  default     = null
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listeners."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

variable "test_listener_port" {
  description = "Port of the test listener that blue/green, linear, canary and CodeDeploy rollouts use to reach the new revision before it takes production traffic."
  type        = number
  default     = 8443
}

variable "test_ingress_cidr_blocks" {
  description = "IPv4 CIDR blocks allowed to reach the test listener. Empty by default: only the VPC (lifecycle hooks, smoke-test Lambdas inside it) should see a revision that is not live yet."
  type        = list(string)
  default     = []
}

variable "idle_timeout" {
  description = "Idle timeout of the load balancer in seconds."
  type        = number
  default     = 60
}

variable "enable_deletion_protection" {
  description = "Protect the load balancer from deletion (turn on in production)."
  type        = bool
  default     = false
}

variable "access_logs_bucket" {
  description = "S3 bucket receiving access logs; null disables access logs."
  type        = string
  default     = null
}

variable "services" {
  description = <<-EOT
    Services routed by this load balancer, keyed by service name.
    - `container_port`: port the container listens on (the target group's port).
    - `path_prefix`: e.g. `/inventory-app`; requests under it are forwarded with the prefix stripped (URL rewrite), so every service serves `/readyz` at its root. null makes the service the catch-all route (`/*`).
    - `priority`: listener rule priority (lower wins); give the catch-all service the highest number.
    - `health_check_path`: readiness path the target group probes.
    - `deregistration_delay`: seconds a draining target keeps its connections (at most 30 for fast rollouts).
    - `blue_green`: create a second target group and a test listener rule (ECS BLUE_GREEN, LINEAR, CANARY or CodeDeploy).
    - `codedeploy`: the service is deployed by CodeDeploy, which shifts traffic on whole listeners: it gets its own
      production listener on `listener_port` and test listener on `listener_port + 1` (default actions, no path
      rules), as CodeDeploy's ECS blue/green model expects. Implies `blue_green`.
  EOT
  type = map(object({
    container_port       = number
    path_prefix          = optional(string)
    priority             = number
    health_check_path    = optional(string, "/readyz")
    deregistration_delay = optional(number, 15)
    blue_green           = optional(bool, false)
    codedeploy           = optional(bool, false)
    listener_port        = optional(number)
  }))

  validation {
    condition     = alltrue([for s in values(var.services) : s.deregistration_delay >= 0 && s.deregistration_delay <= 30])
    error_message = "Each service's deregistration_delay must be between 0 and 30 seconds so rollouts and rollbacks stay fast."
  }

  validation {
    condition     = alltrue([for s in values(var.services) : !s.codedeploy || (s.listener_port != null && !contains([80, 443, var.test_listener_port], coalesce(s.listener_port, 0)))])
    error_message = "A codedeploy service needs its own listener_port (not 80, 443 or test_listener_port); its test listener uses listener_port + 1."
  }

  validation {
    condition     = alltrue([for s in values(var.services) : s.path_prefix == null || can(regex("^/[A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*$", s.path_prefix))])
    error_message = "A path_prefix must start with / and must not end with / or contain wildcards, e.g. /inventory-app."
  }
}

variable "route53_zone_id" {
  description = "Route 53 hosted zone ID. When set together with `domain_name`, an alias record points the domain at the load balancer (replaces the seed's DuckDNS script)."
  type        = string
  default     = null
}

variable "domain_name" {
  description = "Fully qualified domain name of the load balancer in `route53_zone_id`, e.g. `staging.example.com`."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource of the module (on top of the provider's default tags)."
  type        = map(string)
  default     = {}
}
