// Package livetest runs the live backend's tests against moto's server
// (moto_server): it starts and stops one server on a free loopback port,
// creates a pipeline's functions, IAM role and bucket in it, and puts a small
// fault proxy in front of it. Tests call Need, which skips with a clear
// message where moto_server is missing, and fails instead when CI=true.
package livetest
