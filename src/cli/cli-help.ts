import type { Command, HelpConfiguration, OutputConfiguration } from 'commander';

/**
 * How `docstore --help` lists the commands: the name and its arguments, without commander's
 * `[options]`. Shorter terms leave the descriptions room enough to wrap at the terminal's width
 * (commander leaves a description unwrapped when less than 40 columns remain for it), as the
 * subcommands' help does.
 */
export const helpConfiguration: HelpConfiguration = {
  subcommandTerm: (command: Command) =>
    [
      command.name(),
      ...command.registeredArguments.map((argument) => {
        const name = `${argument.name()}${argument.variadic ? '...' : ''}`;
        return argument.required ? `<${name}>` : `[${name}]`;
      }),
      ...(command.commands.length > 0 ? ['<command>'] : []),
    ].join(' '),
};

/**
 * Help is wrapped at the terminal's width, or at `COLUMNS` when the output is not a terminal (a
 * pipe, a pager, a test); commander's own default there is 80.
 */
export const outputConfiguration: OutputConfiguration = {
  getOutHelpWidth: () => widthOf(process.stdout),
  getErrHelpWidth: () => widthOf(process.stderr),
};

function widthOf(stream: NodeJS.WriteStream): number {
  if (stream.isTTY) return stream.columns;
  const columns = Number(process.env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : 80;
}
