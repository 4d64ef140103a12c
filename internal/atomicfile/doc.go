// Package atomicfile writes a file so that readers see either the old file or
// the complete new one, never a partial write: data goes to a temporary file
// in the same directory, which is synced and renamed over the target on Commit.
package atomicfile
