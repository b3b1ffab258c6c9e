package coord

import "time"

// Locked readers for the configuration values that loops consult outside start-up.

func (c *Config) hz() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Hz < 1 {
		return 1
	}
	if c.Hz > 500 {
		return 500
	}
	return c.Hz
}

func (c *Config) timeoutSeconds() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Timeout
}

func (c *Config) maxClients() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.MaxClients
}

func (c *Config) requirePass() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.RequirePass
}

func (c *Config) aclPubsubDefault() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ACLPubsubDefault
}

func (c *Config) protectedAllowed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.EnableProtectedConfigs != "no"
}

func (c *Config) dir() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Dir == "" {
		return "."
	}
	return c.Dir
}

func (c *Config) replTimeout() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Duration(max(c.ReplTimeout, 1)) * time.Second
}

func (c *Config) masterAuth() (user, pass string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.MasterUser, c.MasterAuth
}

func (c *Config) replicaReadOnly() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ReplicaReadOnly
}
