output "arn" {
  description = "ARN of the load balancer."
  value       = try(aws_lb.this.arn, null)
}

output "arn_suffix" {
  description = "ARN suffix of the load balancer (the `LoadBalancer` dimension of its CloudWatch metrics)."
  value       = try(aws_lb.this.arn_suffix, null)
}

output "dns_name" {
  description = "DNS name AWS gave the load balancer."
  value       = try(aws_lb.this.dns_name, null)
}

output "zone_id" {
  description = "Route 53 zone ID of the load balancer (for alias records)."
  value       = try(aws_lb.this.zone_id, null)
}

output "fqdn" {
  description = "The Route 53 record when one was created, otherwise the load balancer's DNS name."
  value       = try(local.host, null)
}

output "url" {
  description = "Base URL of the production listener, e.g. `https://staging.example.com` or `http://<alb-dns-name>`."
  value       = try("${local.scheme}://${local.host}", null)
}

output "test_url" {
  description = "Base URL of the shared test listener (null when no path-routed service uses blue/green; CodeDeploy services have their own, see `services`)."
  value       = try("${local.scheme}://${local.host}:${aws_lb_listener.test[0].port}", null)
}

output "security_group_id" {
  description = "Security group of the load balancer; services allow their container port from it."
  value       = try(aws_security_group.this.id, null)
}

output "production_listener_arn" {
  description = "ARN of the listener that carries production traffic (HTTPS when a certificate is set)."
  value       = try(local.production_listener_arn, null)
}

output "test_listener_arn" {
  description = "ARN of the shared test listener (null when no path-routed service uses blue/green; CodeDeploy services have their own, see `services`)."
  value       = try(aws_lb_listener.test[0].arn, null)
}

output "services" {
  description = "Per service: target groups (ARN, name, ARN suffix), listeners and listener rules, and the service's base URL behind this load balancer."
  value = try({
    for k, s in var.services : k => {
      url                           = s.codedeploy ? "${local.scheme}://${local.host}:${s.listener_port}" : "${local.scheme}://${local.host}${s.path_prefix == null ? "" : s.path_prefix}"
      target_group_arn              = aws_lb_target_group.blue[k].arn
      target_group_name             = aws_lb_target_group.blue[k].name
      target_group_arn_suffix       = aws_lb_target_group.blue[k].arn_suffix
      alternate_target_group_arn    = try(aws_lb_target_group.green[k].arn, null)
      alternate_target_group_name   = try(aws_lb_target_group.green[k].name, null)
      alternate_target_group_suffix = try(aws_lb_target_group.green[k].arn_suffix, null)
      production_listener_rule_arn  = try(aws_lb_listener_rule.production[k].arn, null)
      test_listener_rule_arn        = try(aws_lb_listener_rule.test[k].arn, null)
      production_listener_arn       = s.codedeploy ? aws_lb_listener.codedeploy[k].arn : local.production_listener_arn
      test_listener_arn             = s.codedeploy ? aws_lb_listener.codedeploy_test[k].arn : try(aws_lb_listener.test[0].arn, null)
    }
  }, null)
}
