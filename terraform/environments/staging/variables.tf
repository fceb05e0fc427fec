variable "environment" {
  description = "Environment name, as in shipgate.config.yaml `environments[].name` (names the cluster `shipgate-<environment>` and the contracts)."
  type        = string
}

variable "region" {
  description = "AWS region of the environment."
  type        = string
  default     = "us-east-1"
}

variable "vpc_cidr" {
  description = "IPv4 CIDR block of the environment's VPC."
  type        = string
  default     = "10.0.0.0/16"
}

variable "enable_nat_gateway" {
  description = "Give the private subnets a NAT gateway (only needed when services call the internet; AWS APIs go through VPC endpoints)."
  type        = bool
  default     = false
}

variable "cluster_capacity" {
  description = "Where tasks run: FARGATE or EC2 (the seed ran EC2)."
  type        = string
  default     = "FARGATE"
}

variable "certificate_arn" {
  description = "ACM certificate for HTTPS on the load balancer; null serves plain HTTP."
  type        = string
  default     = null
}

variable "route53_zone_id" {
  description = "Route 53 hosted zone for `domain_name`; null skips DNS and the services are reached on the load balancer's DNS name (output `url`)."
  type        = string
  default     = null
}

variable "domain_name" {
  description = "Domain name of the environment's load balancer in `route53_zone_id`, e.g. `staging.example.com`."
  type        = string
  default     = null
}

variable "alb_deletion_protection" {
  description = "Protect the load balancer from deletion."
  type        = bool
  default     = false
}

variable "contracts_prefix" {
  description = "Prefix of the deploy-contract parameters; must equal `contractsPrefix` in shipgate.config.yaml."
  type        = string
  default     = "/shipgate"
}

variable "bootstrap_image" {
  description = "Image of the services' bootstrap task definitions; null uses nginx from ECR Public through the account's pull-through cache (created by terraform/global)."
  type        = string
  default     = null
}

variable "services" {
  description = <<-EOT
    Services of the environment, keyed by the service name in shipgate.config.yaml.
    - `repository`: ECR repository (terraform/global); `container_port`: port the app listens on.
    - `path_prefix`: public path of the service on the load balancer (stripped before the request reaches it); null = catch-all.
    - `priority`: listener rule priority, unique per environment (the catch-all service gets the highest).
    - `strategy`: ROLLING, BLUE_GREEN, LINEAR, CANARY or CODEDEPLOY — must match shipgate.config.yaml (a test checks it);
      canary/linear/bake settings and `codedeploy_config` refine it. CODEDEPLOY needs `listener_port`: CodeDeploy
      shifts whole listeners, so the service gets its own (production on `listener_port`, test on `listener_port + 1`).
    - `database`: key of `databases` the service uses; `rabbitmq`: whether it uses the broker.
    - `environment`: extra plain environment variables.
  EOT
  type = map(object({
    repository                       = string
    container_port                   = optional(number, 8080)
    path_prefix                      = optional(string)
    priority                         = number
    listener_port                    = optional(number)
    strategy                         = optional(string, "ROLLING")
    bake_time_in_minutes             = optional(number, 5)
    canary_percent                   = optional(number, 10)
    canary_bake_time_in_minutes      = optional(number, 5)
    linear_step_percent              = optional(number, 25)
    linear_step_bake_time_in_minutes = optional(number, 2)
    codedeploy_config                = optional(string, "CodeDeployDefault.ECSCanary10Percent5Minutes")
    cpu                              = optional(number, 256)
    memory                           = optional(number, 512)
    desired_count                    = optional(number, 2)
    min_capacity                     = optional(number, 2)
    max_capacity                     = optional(number, 6)
    database                         = optional(string)
    rabbitmq                         = optional(bool, false)
    environment                      = optional(map(string), {})
  }))

  validation {
    condition     = alltrue([for s in values(var.services) : contains(["ROLLING", "BLUE_GREEN", "LINEAR", "CANARY", "CODEDEPLOY"], s.strategy)])
    error_message = "Each service's strategy must be one of ROLLING, BLUE_GREEN, LINEAR, CANARY or CODEDEPLOY."
  }

  validation {
    condition     = length(distinct([for s in values(var.services) : s.priority])) == length(var.services)
    error_message = "Listener rule priorities must be unique across services."
  }
}

variable "databases" {
  description = "PostgreSQL databases (RDS, one instance each) keyed by the name services refer to in `database`; see the data module."
  type = map(object({
    db_name                 = string
    instance_class          = optional(string, "db.t4g.micro")
    allocated_storage       = optional(number, 20)
    multi_az                = optional(bool, false)
    backup_retention_period = optional(number, 7)
    deletion_protection     = optional(bool, true)
  }))
  default = {}
}

variable "rabbitmq" {
  description = "Amazon MQ for RabbitMQ broker settings; null creates no broker."
  type = object({
    host_instance_type = optional(string, "mq.t3.micro")
    deployment_mode    = optional(string, "SINGLE_INSTANCE")
  })
  default = null
}

variable "alarm_actions" {
  description = "ARNs (e.g. SNS topics) notified when a service alarm fires."
  type        = list(string)
  default     = []
}
