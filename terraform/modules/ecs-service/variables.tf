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

  # Bake and step times: "Valid values are 0 to 1440 minutes (24 hours)" (ECS API reference).
  validation {
    condition     = var.bake_time_in_minutes >= 0 && var.bake_time_in_minutes <= 1440 && floor(var.bake_time_in_minutes) == var.bake_time_in_minutes
    error_message = "The bake_time_in_minutes must be a whole number from 0 to 1440."
  }
}

variable "canary_percent" {
  description = "CANARY: percentage of production traffic shifted to the new revision first."
  type        = number
  default     = 10

  # "Valid values are multiples of 0.1 from 0.1 to 100.0" (ECS API reference, CanaryConfiguration.canaryPercent).
  validation {
    condition     = var.canary_percent >= 0.1 && var.canary_percent <= 100 && abs(var.canary_percent * 10 - floor(var.canary_percent * 10 + 0.5)) < 0.000001
    error_message = "The canary_percent must be a multiple of 0.1 from 0.1 to 100."
  }
}

variable "canary_bake_time_in_minutes" {
  description = "CANARY: minutes the canary share runs before the rest of the traffic moves."
  type        = number
  default     = 5

  validation {
    condition     = var.canary_bake_time_in_minutes >= 0 && var.canary_bake_time_in_minutes <= 1440 && floor(var.canary_bake_time_in_minutes) == var.canary_bake_time_in_minutes
    error_message = "The canary_bake_time_in_minutes must be a whole number from 0 to 1440."
  }
}

variable "linear_step_percent" {
  description = "LINEAR: percentage of traffic shifted at each step."
  type        = number
  default     = 25

  # "Valid values are multiples of 0.1 from 3.0 to 100.0" (ECS API reference, LinearConfiguration.stepPercent).
  validation {
    condition     = var.linear_step_percent >= 3 && var.linear_step_percent <= 100 && abs(var.linear_step_percent * 10 - floor(var.linear_step_percent * 10 + 0.5)) < 0.000001
    error_message = "The linear_step_percent must be a multiple of 0.1 from 3 to 100."
  }
}

variable "linear_step_bake_time_in_minutes" {
  description = "LINEAR: minutes between steps."
  type        = number
  default     = 2

  validation {
    condition     = var.linear_step_bake_time_in_minutes >= 0 && var.linear_step_bake_time_in_minutes <= 1440 && floor(var.linear_step_bake_time_in_minutes) == var.linear_step_bake_time_in_minutes
    error_message = "The linear_step_bake_time_in_minutes must be a whole number from 0 to 1440."
  }
}

variable "listener" {
  description = <<-EOT
    The load balancer's listeners this service's traffic arrives on (alb module).
    - `production_arn`, `production_url`: the listener carrying production traffic and its base URL. The service
      adds its path rule to it; a CODEDEPLOY service is given its own listener instead and adds no rule.
    - `test_arn`, `test_url`: the test listener, required for BLUE_GREEN, LINEAR and CANARY (the service adds its
      test rule there) and the CODEDEPLOY service's own test listener.
  EOT
  type = object({
    production_arn = string
    production_url = string
    test_arn       = optional(string)
    test_url       = optional(string)
  })
}

variable "path_prefix" {
  description = "Public path of the service on the load balancer, e.g. `/inventory-app`: requests under it are forwarded with the prefix stripped (URL rewrite), so every service serves `health_check_path` at its root. null makes the service the catch-all route (`/*`)."
  type        = string
  default     = null

  validation {
    condition     = var.path_prefix == null || can(regex("^/[A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*$", var.path_prefix))
    error_message = "A path_prefix must start with / and must not end with / or contain wildcards, e.g. /inventory-app."
  }
}

variable "priority" {
  description = "Priority of the service's listener rules (lower wins; unique per load balancer; the catch-all service gets the highest). Unused by CODEDEPLOY, which routes whole listeners."
  type        = number
  default     = null

  validation {
    condition     = var.priority != null || var.strategy == "CODEDEPLOY"
    error_message = "A service routed by path rules needs a listener rule priority."
  }
}

variable "health_check_path" {
  description = "Readiness path the target groups probe."
  type        = string
  default     = "/readyz"
}

variable "deregistration_delay" {
  description = "Seconds a draining target keeps its connections (at most 30, so rollouts and rollbacks stay fast)."
  type        = number
  default     = 15

  validation {
    condition     = var.deregistration_delay >= 0 && var.deregistration_delay <= 30
    error_message = "The deregistration_delay must be between 0 and 30 seconds so rollouts and rollbacks stay fast."
  }
}

variable "lifecycle_hooks" {
  description = "BLUE_GREEN, LINEAR and CANARY: Lambda functions ECS invokes at the given lifecycle stages of a service deployment (e.g. a smoke check at `POST_TEST_TRAFFIC_SHIFT`). The module creates the role ECS invokes them with, allowed `lambda:InvokeFunction` on exactly these functions."
  type = list(object({
    hook_target_arn  = string
    lifecycle_stages = list(string)
  }))
  default = []

  validation {
    condition     = length(var.lifecycle_hooks) == 0 || contains(["BLUE_GREEN", "LINEAR", "CANARY"], var.strategy)
    error_message = "Only BLUE_GREEN, LINEAR and CANARY deployments run lifecycle hooks."
  }

  # The stages ECS accepts (ECS API reference, DeploymentLifecycleHook.lifecycleStages).
  validation {
    condition = alltrue([for h in var.lifecycle_hooks : length(h.lifecycle_stages) > 0 && alltrue([for s in h.lifecycle_stages : contains([
      "RECONCILE_SERVICE", "PRE_SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT",
      "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT",
    ], s)])])
    error_message = "Each lifecycle hook needs at least one stage among RECONCILE_SERVICE, PRE_SCALE_UP, POST_SCALE_UP, TEST_TRAFFIC_SHIFT, POST_TEST_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT and POST_PRODUCTION_TRAFFIC_SHIFT."
  }

  validation {
    condition     = alltrue([for h in var.lifecycle_hooks : can(regex("^arn:[^:]+:lambda:[^:]+:[0-9]{12}:function:.+$", h.hook_target_arn))])
    error_message = "A hook_target_arn must be a Lambda function ARN (the only hook target ECS supports)."
  }
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
