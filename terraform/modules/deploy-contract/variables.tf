variable "prefix" {
  description = "Prefix of the contract parameters; must equal `contractsPrefix` in shipgate.config.yaml."
  type        = string
  default     = "/shipgate"

  validation {
    condition     = can(regex("^/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$", var.prefix))
    error_message = "The prefix must start with / and must not end with /, e.g. /shipgate."
  }
}

variable "environment" {
  description = "Environment name as in shipgate.config.yaml, e.g. `staging`."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,39}$", var.environment))
    error_message = "The environment must be a lower-case name of letters, digits and '-' (as Shipgate's config requires)."
  }
}

variable "service" {
  description = "Service name as in shipgate.config.yaml (`services.<name>`), e.g. `inventory-app`."
  type        = string
}

variable "cluster" {
  description = "ECS cluster name or ARN."
  type        = string
}

variable "ecs_service" {
  description = "ECS service name or ARN."
  type        = string
}

variable "container_name" {
  description = "Container in the task definition whose image Shipgate replaces."
  type        = string
}

variable "container_port" {
  description = "Port the container listens on (used in CodeDeploy AppSpecs)."
  type        = number

  validation {
    condition     = var.container_port >= 1 && var.container_port <= 65535 && floor(var.container_port) == var.container_port
    error_message = "The container_port must be an integer between 1 and 65535."
  }
}

variable "strategy" {
  description = "How the infrastructure is set up to roll out: ROLLING, BLUE_GREEN, LINEAR, CANARY or CODEDEPLOY."
  type        = string

  validation {
    condition     = contains(["ROLLING", "BLUE_GREEN", "LINEAR", "CANARY", "CODEDEPLOY"], var.strategy)
    error_message = "The strategy must be one of ROLLING, BLUE_GREEN, LINEAR, CANARY or CODEDEPLOY."
  }
}

variable "code_deploy" {
  description = "CodeDeploy application, deployment group and (optional) default deployment config; required when `strategy` is CODEDEPLOY, null otherwise."
  type = object({
    application       = string
    deployment_group  = string
    deployment_config = optional(string)
  })
  default = null
}

variable "blue_green" {
  description = "What ECS shifts traffic with for BLUE_GREEN, LINEAR and CANARY (the ecs-service module's `blue_green` output): alternate target group, production and test listener rules, infrastructure role, and the service's base URL on the test listener. Required for those strategies, null otherwise."
  type = object({
    alternate_target_group_arn   = string
    production_listener_rule_arn = string
    test_listener_rule_arn       = string
    infrastructure_role_arn      = string
    test_url                     = string
  })
  default = null

  validation {
    condition     = var.blue_green == null || can(regex("^https?://[^/]+(/.*[^/])?$", var.blue_green.test_url))
    error_message = "The blue_green.test_url must be an http(s) URL without a trailing slash, e.g. http://alb.example.com:8443/billing-app."
  }
}

variable "lifecycle_hooks" {
  description = "Lifecycle hooks ECS runs during a BLUE_GREEN, LINEAR or CANARY deployment (the ecs-service module's `lifecycle_hooks` output): the Lambda, the role ECS invokes it with and its stages."
  type = list(object({
    hook_target_arn  = string
    role_arn         = string
    lifecycle_stages = list(string)
  }))
  default = []
}

variable "smoke_url" {
  description = "Base URL of the service as reachable by Shipgate's Verify step (the load balancer listener), without a trailing slash."
  type        = string

  validation {
    condition     = can(regex("^https?://[^/]+(/.*[^/])?$", var.smoke_url))
    error_message = "The smoke_url must be an http(s) URL without a trailing slash, e.g. https://staging.example.com/inventory-app."
  }
}

variable "smoke_path" {
  description = "Path of the readiness check appended to `smoke_url`."
  type        = string
  default     = "/readyz"

  validation {
    condition     = startswith(var.smoke_path, "/")
    error_message = "The smoke_path must start with /, e.g. /readyz."
  }
}

variable "alarms" {
  description = "CloudWatch alarm names that roll a deployment back."
  type        = list(string)
  default     = []
}

variable "repository" {
  description = "ECR repository name of the service's images."
  type        = string
}

variable "tags" {
  description = "Tags added to the parameter (on top of the provider's default tags)."
  type        = map(string)
  default     = {}
}
