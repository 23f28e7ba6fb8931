// `aistudio lint-miniprogram` (the command line is being split from the engine in checks/miniprogram/)
export { runLintMiniprogram } from "../checks/miniprogram/lint";
