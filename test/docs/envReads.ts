/**
 * The environment variables a TypeScript file reads, found in its syntax tree (the TypeScript compiler's
 * parser), so that the settings documentation can be checked against the code. A read is
 * `process.env.X` or `env.X`, `env['X']`, `const { X } = env`, or `env[name]` inside a local function
 * that is called with the name as a literal (`port('X', 8080)`). A dynamic read that cannot be traced
 * to literal names is reported as such, so a read cannot hide from the check.
 */
import ts from 'typescript';

export interface EnvReads {
  names: Set<string>;
  /** `file:line: text` of each read whose variable names could not be told. */
  untraced: string[];
}

/** `process.env` or an identifier named `env` (the ProcessEnv parameter the settings readers take). */
function isEnv(node: ts.Expression): boolean {
  if (ts.isIdentifier(node)) return node.text === 'env';
  return ts.isPropertyAccessExpression(node) && node.name.text === 'env' && ts.isIdentifier(node.expression) && node.expression.text === 'process';
}

/** The name under which the function holding `node` can be called, and the index of its parameter `param`. */
function enclosingCallable(node: ts.Node, param: string): { name: string; index: number } | undefined {
  for (let at: ts.Node | undefined = node.parent; at; at = at.parent) {
    if (!ts.isFunctionLike(at)) continue;
    const index = at.parameters.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === param);
    if (index < 0) continue;
    if (ts.isFunctionDeclaration(at) && at.name) return { name: at.name.text, index };
    if (ts.isVariableDeclaration(at.parent) && ts.isIdentifier(at.parent.name)) return { name: at.parent.name.text, index };
    return undefined;
  }
  return undefined;
}

export function envReads(path: string, text: string): EnvReads {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.ES2022, true);
  const names = new Set<string>();
  const untraced: string[] = [];
  const dynamic: { name: string; index: number }[] = [];
  const where = (node: ts.Node) => `${path}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${node.getText()}`;

  const visitReads = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node) && isEnv(node.expression)) names.add(node.name.text);
    else if (ts.isElementAccessExpression(node) && isEnv(node.expression)) {
      const key = node.argumentExpression;
      if (ts.isStringLiteralLike(key)) names.add(key.text);
      else {
        const callable = ts.isIdentifier(key) ? enclosingCallable(node, key.text) : undefined;
        if (callable) dynamic.push(callable);
        else untraced.push(where(node));
      }
    } else if (ts.isVariableDeclaration(node) && node.initializer && isEnv(node.initializer) && ts.isObjectBindingPattern(node.name)) {
      for (const element of node.name.elements) {
        const key = element.propertyName ?? element.name;
        if (ts.isIdentifier(key) || ts.isStringLiteralLike(key)) names.add(key.text);
        else untraced.push(where(element));
      }
    }
    ts.forEachChild(node, visitReads);
  };
  visitReads(source);

  // Each call of a function that reads env[<its parameter>] names the variable at that argument.
  const visitCalls = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) {
      for (const { name, index } of dynamic) {
        if (node.expression.text !== name) continue;
        const argument = node.arguments[index];
        if (argument && ts.isStringLiteralLike(argument)) names.add(argument.text);
        else untraced.push(where(node));
      }
    }
    ts.forEachChild(node, visitCalls);
  };
  if (dynamic.length > 0) visitCalls(source);
  return { names, untraced };
}
