variable "name" {
  description = "Name of the ECS service, e.g. `inventory-app`."
  type        = string
}

variable "cluster_name" {
  description = "Name of the ECS cluster the service runs in; also prefixes the task definition family, log group and IAM roles."
  type        = string
}

variable "cluster_arn" {
  description = "ARN of the ECS cluster the service runs in."
  type        = string
}

variable "capacity_provider_strategy" {
  description = "Capacity provider strategy of the service (the `ecs-cluster` module's output)."
  type = list(object({
    capacity_provider = string
    weight            = number
    base              = optional(number, 0)
  }))
}

variable "requires_compatibilities" {
  description = "Launch types the task definition must be compatible with (`FARGATE` or `EC2`)."
  type        = list(string)
  default     = ["FARGATE"]
}

variable "vpc_id" {
  description = "VPC of the service's tasks."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets the tasks run in."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Extra security groups attached to the tasks, e.g. the data module's client group that opens the databases and the broker."
  type        = list(string)
  default     = []
}

variable "load_balancer_security_group_id" {
  description = "Security group of the load balancer; the tasks accept `container_port` from it only."
  type        = string
}

variable "container_name" {
  description = "Name of the application container; Shipgate replaces this container's image (deploy contract `containerName`). Defaults to the service name."
  type        = string
  default     = null
}

variable "container_port" {
  description = "Port the application container listens on."
  type        = number
  default     = 8080
}

variable "cpu" {
  description = "Task CPU units (256 = 0.25 vCPU)."
  type        = number
  default     = 256
}

variable "memory" {
  description = "Task memory in MiB."
  type        = number
  default     = 512
}

variable "cpu_architecture" {
  description = "CPU architecture of the task: `ARM64` (Graviton, cheaper) or `X86_64`. Images must be built for it."
  type        = string
  default     = "ARM64"

  validation {
    condition     = contains(["ARM64", "X86_64"], var.cpu_architecture)
    error_message = "The cpu_architecture must be ARM64 or X86_64."
  }
}

variable "bootstrap_image" {
  description = "Image of the bootstrap task definition Terraform registers when it creates the service. Shipgate registers every later revision (image pinned by digest) and Terraform ignores them. The default is a tiny web server that answers 200 on every path, so the first rollout starts from a healthy service."
  type        = string
  default     = "public.ecr.aws/nginx/nginx:stable-alpine"
}

variable "bootstrap_command" {
  description = "Command of the bootstrap container (null keeps the image's own). The default makes nginx answer 200 on `container_port` for every path, including the health check."
  type        = list(string)
  default     = null
}

variable "environment" {
  description = "Plain environment variables of the application container (never secrets: use `secrets`)."
  type        = map(string)
  default     = {}
}

variable "secrets" {
  description = "Environment variables of the application container read from Secrets Manager or SSM at task start: name => `valueFrom` (a secret ARN, optionally with `:json-key::`). The execution role may read exactly these."
  type        = map(string)
  default     = {}
}

variable "desired_count" {
  description = "Initial number of tasks. Autoscaling owns the count afterwards (Terraform ignores changes)."
  type        = number
  default     = 2
}

variable "autoscaling" {
  description = "Target-tracking autoscaling of the task count: bounds, and the CPU and memory utilisation (percent) to hold."
  type = object({
    min_capacity       = number
    max_capacity       = number
    cpu_target         = optional(number, 60)
    memory_target      = optional(number, 75)
    scale_in_cooldown  = optional(number, 300)
    scale_out_cooldown = optional(number, 60)
  })
  default = {
    min_capacity = 2
    max_capacity = 6
  }

  validation {
    condition     = var.autoscaling.min_capacity >= 1 && var.autoscaling.max_capacity >= var.autoscaling.min_capacity
    error_message = "Autoscaling needs 1 <= min_capacity <= max_capacity."
  }
}

variable "strategy" {
  description = "How rollouts shift traffic: `ROLLING` (circuit breaker with rollback), ECS-native `BLUE_GREEN`, `LINEAR` or `CANARY` (two target groups, bake time), or `CODEDEPLOY` (CODE_DEPLOY controller; pair with the `codedeploy` module). Published in the deploy contract."
  type        = string
  default     = "ROLLING"

  validation {
    condition     = contains(["ROLLING", "BLUE_GREEN", "LINEAR", "CANARY", "CODEDEPLOY"], var.strategy)
    error_message = "The strategy must be one of ROLLING, BLUE_GREEN, LINEAR, CANARY or CODEDEPLOY."
  }
}

variable "bake_time_in_minutes" {
  description = "BLUE_GREEN, LINEAR and CANARY: minutes both revisions stay up after all traffic moved, while the alarms may still roll back."
  type        = number
  default     = 5
}

variable "canary_percent" {
  description = "CANARY: percentage of production traffic shifted to the new revision first."
  type        = number
  default     = 10
}

variable "canary_bake_time_in_minutes" {
  description = "CANARY: minutes the canary share runs before the rest of the traffic moves."
  type        = number
  default     = 5
}

variable "linear_step_percent" {
  description = "LINEAR: percentage of traffic shifted at each step."
  type        = number
  default     = 25
}

variable "linear_step_bake_time_in_minutes" {
  description = "LINEAR: minutes between steps."
  type        = number
  default     = 2
}

variable "target_group_arn" {
  description = "Target group receiving production traffic."
  type        = string
}

variable "alternate_target_group_arn" {
  description = "Second target group for BLUE_GREEN, LINEAR, CANARY and CODEDEPLOY (null for ROLLING)."
  type        = string
  default     = null
}

variable "production_listener_rule_arn" {
  description = "Listener rule routing production traffic to the service (ECS-native traffic shifting)."
  type        = string
  default     = null
}

variable "test_listener_rule_arn" {
  description = "Listener rule routing test traffic to the new revision (ECS-native traffic shifting)."
  type        = string
  default     = null
}

variable "alarm_names" {
  description = "CloudWatch alarms that fail and roll back an ECS deployment while it runs and bakes (the `monitoring` module's output). With CODEDEPLOY they belong to the deployment group instead."
  type        = list(string)
  default     = []
}

variable "health_check_grace_period_seconds" {
  description = "Seconds the scheduler ignores load balancer health checks after a task starts."
  type        = number
  default     = 30
}

variable "enable_execute_command" {
  description = "Allow `aws ecs execute-command` into the tasks (audited in CloudTrail)."
  type        = bool
  default     = false
}

variable "task_role_policy_json" {
  description = "IAM policy (JSON) of what the application itself may call in AWS; null grants nothing."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "Retention in days of the service's log group."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags added to every resource of the module (on top of the provider's default tags)."
  type        = map(string)
  default     = {}
}
