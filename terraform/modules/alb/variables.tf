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
  description = "Subnet IDs (at least two availability zones) the load balancer is placed in: public subnets when internet-facing, private ones when `internal`."
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

variable "test_ingress_security_groups" {
  description = "Security groups allowed to reach the test listener(s), by reference, keyed by a name known at plan time (e.g. `{ smoke_check = <sg id> }`). Nothing else may: a revision that is not live yet is seen only by its smoke checks. CIDR blocks are not accepted. A reference only matches traffic from the group's private addresses, so callers must reach the load balancer inside the VPC (`internal = true`)."
  type        = map(string)
  default     = {}
}

variable "internal" {
  description = "Create an internal load balancer: its DNS name resolves to private addresses, so a caller inside the VPC (the smoke check) reaches it there and its security group is matched by reference. An internet-facing load balancer's name resolves to public addresses: a call from inside the VPC leaves through NAT and arrives from the NAT's address. Place it in private subnets (`subnet_ids`); `public_entry` keeps production reachable from the internet."
  type        = bool
  default     = false
}

variable "public_entry" {
  description = "With `internal`: an internet-facing network load balancer in these public subnets that forwards the production ports (80, 443 with a certificate, CodeDeploy services' listener ports) to the load balancer; DNS then points at it. null: no public entry (the services are reachable only inside the VPC, or you front it yourself, e.g. CloudFront VPC origins)."
  type = object({
    subnet_ids = list(string)
  })
  default = null

  validation {
    condition     = var.public_entry == null || var.internal
    error_message = "public_entry fronts an internal load balancer; set internal = true (an internet-facing one is public already)."
  }
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

variable "test_listener" {
  description = "Create the shared test listener on `test_listener_port`: some service rolls out with ECS BLUE_GREEN, LINEAR or CANARY, and its test listener rule (ecs-service module) lives there."
  type        = bool
  default     = false
}

variable "codedeploy_services" {
  description = <<-EOT
    Services deployed by CodeDeploy, keyed by service name. CodeDeploy shifts traffic on whole listeners, as its
    ECS blue/green model expects: each gets its own production listener on `listener_port` and test listener on
    `listener_port + 1`, both forwarding to `target_group_arn` (the service's first target group, from the
    ecs-service module) until CodeDeploy rewrites their default actions.
  EOT
  type = map(object({
    listener_port    = number
    target_group_arn = string
  }))
  default = {}

  validation {
    condition     = alltrue([for s in values(var.codedeploy_services) : !contains([80, 443, var.test_listener_port, var.test_listener_port - 1], s.listener_port)])
    error_message = "A codedeploy service needs its own listener_port (not 80, 443 or test_listener_port); its test listener uses listener_port + 1."
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
