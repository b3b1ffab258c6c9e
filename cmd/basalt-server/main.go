// Command basalt-server runs a Basalt server.
//
// Usage, as for redis-server:
//
//	basalt-server [config-file] [--directive value ...]
//
// The optional first argument is a redis.conf-style file ("-" reads standard input);
// "--name value ..." pairs set any directive after the file, so they win. The whole
// directive list is coord's directive table; CONFIG GET * shows it at run time.
package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/basaltdb/basalt/coord"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	app := &cli.App{
		Name:      "basalt-server",
		Usage:     "a Redis-compatible server with one shard per event loop",
		UsageText: "basalt-server [config-file] [--directive value ...]",
		Description: "Directives are those of redis.conf (port, bind, requirepass, maxmemory, ...).\n" +
			"They are read from the config file, then from --name value arguments.\n\n" +
			"Examples:\n" +
			"   basalt-server /etc/basalt/basalt.conf\n" +
			"   basalt-server --port 7000 --bind 127.0.0.1 ::1 --threads 4",
		Version: version,
		// Directives are many and their values may start with "-", so the arguments
		// are handed to coord unparsed; help and version are recognised here.
		SkipFlagParsing: true,
		HideHelp:        true,
		Action:          run,
	}
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintf(os.Stderr, "basalt-server: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx *cli.Context) error {
	args := ctx.Args().Slice()
	if len(args) == 1 {
		switch args[0] {
		case "-h", "--help":
			return cli.ShowAppHelp(ctx)
		case "-v", "--version":
			cli.ShowVersion(ctx)
			return nil
		}
	}
	cfg, err := coord.ConfigFromArgs(args)
	if err != nil {
		return err
	}
	return coord.Serve(cfg)
}
