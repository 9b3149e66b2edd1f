"""A built-in zh -> en glossary of machine-learning and systems terms, under any guide's own glossary.

The guides' glossaries are short (27 terms in the seed guide) and name fields rather than the words of
questions; these are the everyday terms of papers in the field, so a Chinese question's key words
reach English passages through BM25 and the English embedder even without an LLM translation.
"""

from __future__ import annotations

from collections.abc import Mapping

ML_TERMS: dict[str, str] = {
    # training
    "训练": "training", "推理": "inference", "微调": "fine-tuning", "全量微调": "full fine-tuning",
    "预训练": "pretraining", "预训练模型": "pretrained model", "反向传播": "backpropagation backward pass",
    "前向传播": "forward pass", "前向计算": "forward computation", "梯度": "gradient", "梯度下降": "gradient descent",
    "随机梯度下降": "stochastic gradient descent SGD", "优化器": "optimizer", "优化器状态": "optimizer states",
    "学习率": "learning rate", "局部学习率": "local learning rate", "学习率预热": "learning rate warmup",
    "批量": "batch", "批量大小": "batch size", "批次": "batch", "小批量": "mini-batch", "微批次": "micro-batch",
    "大批量": "large batch", "迭代": "iteration", "收敛": "convergence", "损失": "loss", "损失函数": "loss function",
    "损失缩放": "loss scaling", "正则化": "regularization", "权重衰减": "weight decay", "动量": "momentum",
    "精度": "accuracy precision", "准确率": "accuracy", "过拟合": "overfitting", "超参数": "hyperparameters",
    "可训练参数": "trainable parameters", "参数": "parameters", "权重": "weights", "权重矩阵": "weight matrix",
    "主权重": "master weights", "副本": "copy replica", "检查点": "checkpoint", "激活": "activations",
    "激活值": "activations", "中间结果": "intermediate results", "重计算": "recomputation", "重新计算": "recompute",
    "梯度检查点": "gradient checkpointing", "梯度累积": "gradient accumulation", "收敛速度": "convergence speed",
    # numbers and precision
    "混合精度": "mixed precision", "半精度": "half precision FP16", "单精度": "single precision FP32",
    "浮点数": "floating point", "下溢": "underflow", "溢出": "overflow", "量化": "quantization",
    "整数": "integer", "压缩": "compression", "剪枝": "pruning", "蒸馏": "distillation", "稀疏": "sparse",
    # models
    "模型": "model", "大模型": "large language model", "语言模型": "language model", "网络": "network",
    "神经网络": "neural network", "层": "layer", "线性层": "linear layer", "注意力": "attention",
    "自注意力": "self-attention", "注意力矩阵": "attention matrix", "注意力头": "attention heads",
    "多层感知机": "MLP", "前馈网络": "feed-forward network", "卷积": "convolution", "卷积神经网络": "CNN",
    "残差网络": "residual network ResNet", "编码器": "encoder", "解码器": "decoder", "嵌入": "embedding",
    "专家": "experts", "混合专家": "mixture of experts MoE", "门控": "gating", "门控函数": "gating function",
    "负载均衡": "load balancing", "低秩": "low-rank", "低秩适配": "low-rank adaptation LoRA",
    "适配器": "adapter", "秩": "rank", "矩阵": "matrix", "矩阵乘法": "matrix multiplication", "向量": "vector",
    "强化学习": "reinforcement learning", "策略": "policy", "翻译": "translation", "机器翻译": "machine translation",
    "序列": "sequence", "序列长度": "sequence length", "上下文": "context", "令牌": "tokens", "词元": "tokens",
    "生成": "generation", "吞吐量": "throughput", "延迟": "latency", "缓存": "cache", "键值缓存": "key-value cache",
    # systems
    "并行": "parallelism", "数据并行": "data parallelism", "模型并行": "model parallelism",
    "张量并行": "tensor parallelism", "流水线": "pipeline", "流水线并行": "pipeline parallelism",
    "流水并行": "pipeline parallelism", "气泡": "bubble", "分布式": "distributed", "分布式训练": "distributed training",
    "分片": "sharding", "自动分片": "automatic sharding", "切分": "split partition", "划分": "partition",
    "分块": "tiling blocks", "通信": "communication", "通信开销": "communication overhead", "带宽": "bandwidth",
    "显存": "GPU memory", "内存": "memory", "显存带宽": "memory bandwidth", "片上": "on-chip SRAM",
    "存储": "storage", "卸载": "offload", "异构": "heterogeneous", "加速器": "accelerator", "设备": "device",
    "集群": "cluster", "节点": "node", "扩展": "scaling", "扩展效率": "scaling efficiency", "可扩展": "scalable",
    "调度": "scheduling", "算子": "operator", "算子融合": "kernel fusion", "内核": "kernel", "开销": "overhead",
    "计算": "computation", "计算图": "computation graph", "吞吐": "throughput", "加速": "speedup",
    "线性规划": "linear programming", "搜索": "search", "算法": "algorithm", "控制": "control",
    "组件": "components", "抽象": "abstraction", "框架": "framework", "读写": "reads writes", "访问": "access",
    "工作内存": "working memory", "超大": "extremely large", "次线性": "sublinear", "亚线性": "sublinear",
}


def merged(glossary: Mapping[str, str]) -> dict[str, str]:
    """The built-in terms with a guide's glossary over them (the guide's wording wins)."""
    return {**ML_TERMS, **glossary}
